// --allow and --deny on the server and the listener, from several loopback sources:
// 127.0.0.1, 127.0.0.2 (nc -s) and ::1, over the dual-stack socket (IPv4-mapped peers).
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { bytes, hasCommand, runTool, startTool, text, udpSocket } from "./_tools.ts";

const HELLO = "Hello, world!";

/** What a client connecting from `source` receives (nc -s), as text. */
async function fetchFrom(source: string, host: string, port: number): Promise<string> {
  const child = new Deno.Command("nc", {
    args: ["-s", source, host, String(port)],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  try {
    return text((await child.output()).stdout);
  } finally {
    clearTimeout(timer);
  }
}

const ncIgnore = !hasCommand("nc");

Deno.test({
  name: "server --allow serves only matching peers; --deny wins; refusals are lines and counted",
  ignore: ncIgnore,
  async fn() {
    const { proc, port } = await startTool("server", [
      "--allow",
      "127.0.0.0/8",
      "--allow",
      "::1",
      "--deny",
      "127.0.0.2",
    ]);
    await using server = proc;
    assertEquals(await fetchFrom("127.0.0.1", "127.0.0.1", port), HELLO);
    assertEquals(await fetchFrom("127.0.0.2", "127.0.0.1", port), ""); // denied: not a byte
    assertEquals(await fetchFrom("127.0.0.3", "127.0.0.1", port), HELLO);
    assertEquals(await fetchFrom("::1", "::1", port), HELLO);
    await server.waitFor(/refused connection from 127\.0\.0\.2\n/);
    server.kill("SIGTERM");
    assertEquals(await server.exit(), 0);
    assertMatch(server.stdout, /server: stopped: 3 served, 0 failed, 0 dropped, 1 refused\n$/);
    // The mapped peer is printed and matched as IPv4.
    assert(!server.stdout.includes("::ffff:"), server.stdout);
  },
});

Deno.test({
  name: "server --allow of one address refuses the rest, IPv6 included",
  ignore: ncIgnore,
  async fn() {
    const { proc, port } = await startTool("server", ["--allow", "127.0.0.2"]);
    await using server = proc;
    assertEquals(await fetchFrom("127.0.0.1", "127.0.0.1", port), "");
    assertEquals(await fetchFrom("::1", "::1", port), "");
    assertEquals(await fetchFrom("127.0.0.2", "127.0.0.1", port), HELLO);
    server.kill("SIGTERM");
    assertEquals(await server.exit(), 0);
    assertMatch(server.stdout, /refused connection from 127\.0\.0\.1\n/);
    assertMatch(server.stdout, /refused connection from ::1\n/);
    assertMatch(server.stdout, /stopped: 1 served, 0 failed, 0 dropped, 2 refused\n$/);
  },
});

Deno.test({
  name: "server --deny of an IPv6 block refuses ::1 and serves IPv4 (mapped peers as IPv4)",
  ignore: ncIgnore,
  async fn() {
    const { proc, port } = await startTool("server", [
      "--deny",
      "::/64",
      "--deny",
      "::ffff:127.0.0.3",
    ]);
    await using server = proc;
    assertEquals(await fetchFrom("::1", "::1", port), "");
    assertEquals(await fetchFrom("127.0.0.1", "127.0.0.1", port), HELLO);
    assertEquals(await fetchFrom("127.0.0.3", "127.0.0.1", port), "");
    server.kill("SIGTERM");
    assertEquals(await server.exit(), 0);
    assertMatch(server.stdout, /stopped: 1 served, 0 failed, 0 dropped, 2 refused\n$/);
  },
});

Deno.test("server refusal lines are rate-limited; the count stays exact", async () => {
  const { proc, port } = await startTool("server", ["--allow", "10.0.0.0/8", "-q"]);
  await using server = proc;
  for (let i = 0; i < 40; i++) {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port });
    assertEquals(await conn.read(new Uint8Array(16)), null);
  }
  server.kill("SIGTERM");
  assertEquals(await server.exit(), 0);
  const lines = server.stdout.match(/refused connection from/g)?.length ?? 0;
  assert(lines >= 10 && lines < 40, `${lines} refusal lines`);
  assertMatch(server.stdout, /\.\.\. \d+ more refusals not shown\n/);
  assertMatch(server.stdout, /stopped: 0 served, 0 failed, 0 dropped, 40 refused\n$/);
});

Deno.test("listener drops datagrams from refused senders, says so and counts them", async () => {
  const { proc, port } = await startTool("listener", [
    "-c",
    "2",
    "--allow",
    "127.0.0.0/8",
    "--allow",
    "::1",
    "--deny",
    "127.0.0.2",
  ]);
  await using listener = proc;
  using denied = udpSocket("127.0.0.2");
  using mapped = udpSocket("127.0.0.1");
  using v6 = udpSocket("::1");
  await denied.send(bytes("no"), { transport: "udp", hostname: "127.0.0.1", port });
  await listener.waitFor(/refused datagram from 127\.0\.0\.2\n/);
  await mapped.send(bytes("v4"), { transport: "udp", hostname: "127.0.0.1", port });
  await v6.send(bytes("v6"), { transport: "udp", hostname: "::1", port });
  assertEquals(await listener.exit(), 0);
  assert(!listener.stdout.includes('"no"') && !listener.stdout.includes("'no'"), listener.stdout);
  assertMatch(listener.stdout, /received 2 datagrams, 4 bytes, refused 1 datagram\n$/);
});

Deno.test("listener --allow of one address refuses ::1 and other IPv4 senders", async () => {
  const { proc, port } = await startTool("listener", ["-c", "1", "--allow", "127.0.0.2"]);
  await using listener = proc;
  using v6 = udpSocket("::1");
  using v4 = udpSocket("127.0.0.1");
  using allowed = udpSocket("127.0.0.2");
  await v6.send(bytes("a"), { transport: "udp", hostname: "::1", port });
  await v4.send(bytes("b"), { transport: "udp", hostname: "127.0.0.1", port });
  await listener.waitFor(/refused datagram from 127\.0\.0\.1\n/);
  await allowed.send(bytes("ok"), { transport: "udp", hostname: "127.0.0.1", port });
  assertEquals(await listener.exit(), 0);
  assertMatch(listener.stdout, /refused datagram from ::1\n/);
  assertMatch(listener.stdout, /received 1 datagram, 2 bytes, refused 2 datagrams\n$/);
});

Deno.test("a malformed --allow or --deny is a usage error naming it, for server and listener", async () => {
  const table: [string, string][] = [
    ["300.1.1.1", "not an IP address or CIDR block"],
    ["10.0.0.0/33", "prefix length must be from 0 to 32"],
    ["::1/129", "prefix length must be from 0 to 128"],
    ["localhost", "not an IP address or CIDR block"],
  ];
  for (const tool of ["server", "listener"]) {
    for (const flag of ["--allow", "--deny"]) {
      for (const [spec, reason] of table) {
        const res = await runTool(tool, ["-p", "0", flag, spec]);
        assertEquals(res.code, 1, `${tool} ${flag} ${spec}`);
        assertEquals(res.stdout, "");
        assertEquals(
          res.stderr.split("\n")[0],
          `${tool}: Invalid ${flag} ${JSON.stringify(spec)}: ${reason}${
            reason.startsWith("not") ? " (10.0.0.0/8, fe80::/10)" : ""
          }`,
        );
      }
    }
  }
});
