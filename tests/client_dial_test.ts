// The client's connect path over real processes: a black-holed address, one after the
// other and racing. A name with two addresses needs /etc/hosts: the client runs in a
// private mount namespace where a hosts file of ours is bound over /etc/hosts.
import { assert, assertEquals } from "./_assert.ts";
import { blackHole, canBlackHole } from "../testing/black_hole.ts";
import { runTool, startTool, ToolProcess } from "./_tools.ts";
import { privateHostsUnavailable, withHosts } from "../testing/private_hosts.ts";

const noPrivateHosts = privateHostsUnavailable();
if (noPrivateHosts) console.log(`skipping the two-address client tests: ${noPrivateHosts}`);

/**
 * `bh.test` resolving to ::1 then 127.0.0.1, with a black hole on [::1]:P and a server on
 * 127.0.0.1:P — one port number for both, since a name's addresses share the port.
 */
async function blackHoleThenServer() {
  for (let tries = 0;; tries++) {
    const { proc, port } = await startTool("server", ["-H", "127.0.0.1", "-q"]);
    try {
      const hole = await blackHole("::1", port);
      const hosts = await Deno.makeTempFile({ suffix: ".hosts" });
      await Deno.writeTextFile(hosts, "::1 bh.test\n127.0.0.1 bh.test\n");
      return {
        port,
        wrap: withHosts(hosts),
        async [Symbol.asyncDispose]() {
          await hole[Symbol.asyncDispose]();
          await proc[Symbol.asyncDispose]();
          await Deno.remove(hosts);
        },
      };
    } catch (err) {
      await proc[Symbol.asyncDispose]();
      if (tries === 3) throw err; // [::1]:P was taken each time
    }
  }
}

Deno.test({
  name: "client -t 1s gives up on a black-holed address at its deadline, exit 3",
  ignore: !canBlackHole,
  async fn() {
    await using hole = await blackHole("127.0.0.1");
    const t0 = performance.now();
    const res = await runTool("client", ["-t", "1s", "-p", String(hole.port), "127.0.0.1"]);
    const ms = performance.now() - t0;
    assertEquals(res.code, 3, res.stderr);
    assertEquals(res.stdout, "");
    assertEquals(res.stderr, "client: failed to connect: no address answered within 1s\n");
    assert(ms >= 1000 && ms < 5000, `took ${ms} ms`);
  },
});

Deno.test({
  name: "client tries a name's second address when the first is black-holed, within its deadline",
  ignore: noPrivateHosts !== undefined,
  async fn() {
    await using setup = await blackHoleThenServer();
    const t0 = performance.now();
    const proc = new ToolProcess("client", ["-t", "3s", "-p", String(setup.port), "bh.test"], {
      wrap: setup.wrap,
    });
    const code = await proc.exit();
    const ms = performance.now() - t0;
    assertEquals(code, 0, proc.stderr);
    // 3 s over two addresses: 1.5 s each is below the 2 s minimum, so the first gets 2 s.
    assertEquals(
      proc.stderr,
      `client: connect: Connection timed out after 2s ([::1]:${setup.port})\n`,
    );
    assertEquals(
      proc.stdout,
      "client: connecting to 127.0.0.1\nclient: received 'Hello, world!'\n",
    );
    assert(ms >= 2000 && ms < 3000 + 2000, `took ${ms} ms`);
  },
});

Deno.test({
  name:
    "client --race connects to a name's second address one race delay after a black-holed first",
  ignore: noPrivateHosts !== undefined,
  async fn() {
    await using setup = await blackHoleThenServer();
    const proc = new ToolProcess("client", ["--race", "-p", String(setup.port), "bh.test"], {
      wrap: setup.wrap,
    });
    await proc.waitFor(/client: trying /);
    const t0 = performance.now();
    await proc.waitFor(/client: connecting to /);
    const ms = performance.now() - t0; // one race delay (250 ms), not the black hole's 5 s
    assertEquals(await proc.exit(), 0, proc.stderr);
    assertEquals(
      proc.stdout,
      `client: trying [::1]:${setup.port} ...\nclient: trying 127.0.0.1:${setup.port} ...\n` +
        "client: connecting to 127.0.0.1\nclient: received 'Hello, world!'\n",
    );
    assertEquals(proc.stderr, "");
    assert(ms >= 150 && ms < 2000, `connected ${ms} ms after the first attempt`);
  },
});

Deno.test({
  name: "client stops connecting on Ctrl-C with exit 130",
  ignore: !canBlackHole,
  async fn() {
    await using hole = await blackHole("127.0.0.1");
    const proc = new ToolProcess("client", ["--race", "-p", String(hole.port), "127.0.0.1"]);
    await proc.waitFor(/client: trying /);
    proc.kill("SIGINT");
    assertEquals(await proc.exit(), 130);
    assertEquals(proc.stderr, "client: interrupted\n");
  },
});
