// A resolver that never answers cannot keep the client past its -t deadline, nor past Ctrl-C:
// a private /etc/resolv.conf (mount namespace) names a silent DNS server on 127.0.0.2:53.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { ToolProcess } from "./_tools.ts";

/** Why the private resolver cannot be had here, or undefined. */
function unavailable(): string | undefined {
  try {
    Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.2", port: 53 }).close();
  } catch (err) {
    return `cannot bind 127.0.0.2:53 (not root?): ${err}`;
  }
  try {
    new Deno.Command("unshare", { args: ["-m", "true"] }).outputSync();
  } catch (err) {
    return `unshare is not available: ${err}`;
  }
  return undefined;
}
const why = unavailable();
if (why) console.log(`client_lookup_test skipped: ${why}`);

/** A silent DNS server, and a resolv.conf that names it. */
function silentResolver() {
  const dns = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.2", port: 53 });
  const tcp = Deno.listen({ hostname: "127.0.0.2", port: 53 }); // taken, never answered
  const conf = Deno.makeTempFileSync({ suffix: ".resolv.conf" });
  Deno.writeTextFileSync(conf, "nameserver 127.0.0.2\noptions timeout:5 attempts:2\n");
  const draining = (async () => {
    try {
      for await (const _ of dns) { /* heard, never answered */ }
    } catch { /* closed */ }
  })();
  return {
    wrap: ["unshare", "-m", "sh", "-c", 'mount --bind "$0" /etc/resolv.conf && exec "$@"', conf],
    async [Symbol.asyncDispose]() {
      dns.close();
      tcp.close();
      await draining;
      Deno.removeSync(conf);
    },
  };
}

Deno.test({
  name: "client -t bounds a lookup that never answers: exit 3, saying so",
  ignore: why !== undefined,
  async fn() {
    await using resolver = silentResolver();
    const started = Date.now();
    await using client = new ToolProcess("client", ["-t", "1s", "never.answers.invalid"], {
      wrap: resolver.wrap,
    });
    assertEquals(await client.exit(10_000), 3, client.stderr);
    assert(Date.now() - started < 6_000, `took ${Date.now() - started} ms`);
    assertMatch(
      client.stderr,
      /getaddrinfo: no answer within 1s \(host "never\.answers\.invalid"\)/,
    );
  },
});

Deno.test({
  name: "client: Ctrl-C during a lookup that never answers ends at once, exit 130",
  ignore: why !== undefined,
  async fn() {
    await using resolver = silentResolver();
    await using client = new ToolProcess("client", ["--explain", "never.answers.invalid"], {
      wrap: resolver.wrap,
    });
    await client.waitFor(/getaddrinfo\(.*\.\.\./, { stderr: true });
    const started = Date.now();
    client.kill("SIGINT");
    assertEquals(await client.exit(10_000), 130, client.stderr);
    assert(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
  },
});
