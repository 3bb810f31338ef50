// The listener's address and output flags: -6, -H in the address's own family, --raw -q,
// flags that cannot go together, and the summary's grammar.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { bytes, runTool, startTool, ToolProcess, udpSocket } from "./_tools.ts";
import { waitRead } from "../testing/ready.ts";

Deno.test("listener -6 ignores IPv4 senders, counts them, and waits for an IPv6 one", async () => {
  const { proc, port } = await startTool("listener", ["-6"]);
  await using _listener = proc;
  using v4 = udpSocket("127.0.0.1");
  using v6 = udpSocket("::1");
  await v4.send(bytes("over IPv4"), { transport: "udp", hostname: "127.0.0.1", port });
  await v6.send(bytes("six"), { transport: "udp", hostname: "::1", port });
  assertEquals(await proc.exit(), 0, proc.stderr);
  assertEquals(
    proc.stdout.replace(/^listener: listening on .*\n/, ""),
    "listener: waiting to recvfrom...\nlistener: got packet from ::1\n" +
      'listener: packet is 3 bytes long\nlistener: packet contains "six"\n' +
      "listener: received 1 datagram, 3 bytes, ignored 1 IPv4 datagram (-6)\n",
  );
});

Deno.test("without -6 the listener's IPv6 socket still takes IPv4, as the original", async () => {
  const { proc, port } = await startTool("listener", []);
  await using _listener = proc;
  using v4 = udpSocket("127.0.0.1");
  await v4.send(bytes("over IPv4"), { transport: "udp", hostname: "127.0.0.1", port });
  assertEquals(await proc.exit(), 0, proc.stderr);
  assertMatch(proc.stdout, /got packet from ::ffff:127\.0\.0\.1\n.*\n.*"over IPv4"\n$/);
});

const hosts: [string, RegExp][] = [["127.0.0.1", /^127\.0\.0\.1$/], [
  "localhost",
  /^(127\.0\.0\.1|::1)$/,
]];
for (const [host, bound] of hosts) {
  Deno.test(`listener -H ${host} binds the address in its own family`, async () => {
    const proc = new ToolProcess("listener", ["-p", "0", "-H", host]);
    await using _listener = proc;
    const m = await proc.waitFor(/listening on \[?([^\]]*)\]?:(\d+)\n/);
    assertMatch(m[1]!, bound);
    const res = await runTool("talker", ["-p", m[2]!, m[1]!, "hi"]);
    assertEquals(res.code, 0, res.stderr);
    assertEquals(await proc.exit(), 0, proc.stderr);
    assertMatch(proc.stdout, new RegExp(`got packet from ${m[1]}\n`));
  });
}

Deno.test("listener -6 -H ::1 binds ::1; -6 with an IPv4 address is a resolution error", async () => {
  const { proc, port } = await startTool("listener", ["-6", "-H", "::1"]);
  await using _listener = proc;
  const res = await runTool("talker", ["-p", String(port), "::1", "hi"]);
  assertEquals(res.code, 0, res.stderr);
  assertEquals(await proc.exit(), 0);
  const bad = await runTool("listener", ["-6", "-H", "127.0.0.1", "-p", "0"]);
  assertEquals(bad.code, 1);
  assertMatch(bad.stderr, /^getaddrinfo: Address family for hostname not supported: an IPv4/);
});

const conflicts: [string[], string][] = [
  [["-4", "-6"], "Options -4 and -6 cannot be used together"],
  [["-k", "-c", "3"], "Options -k and -c cannot be used together"],
  [["-c", "3", "-k"], "Options -k and -c cannot be used together"],
];
for (const [args, message] of conflicts) {
  Deno.test(`listener ${args.join(" ")} is a usage error`, async () => {
    const res = await runTool("listener", ["-p", "0", ...args]);
    assertEquals(res.code, 1);
    assertEquals(res.stderr, `listener: ${message}\n`);
    assertEquals(res.stdout, "");
  });
}

Deno.test("listener --raw -q still writes the bytes: -q silences only the status lines", async () => {
  const proc = new ToolProcess("listener", ["-p", "0", "--raw", "-q", "-c", "2"]);
  await using _listener = proc;
  const m = await proc.waitFor(/listening on .*:(\d+)\n/, { stderr: true });
  using sock = udpSocket();
  const to = { transport: "udp" as const, hostname: "::1", port: Number(m[1]) };
  await sock.send(new Uint8Array([0x1b, 0x5b, 0x32, 0x4a, 0xff]), to);
  await sock.send(new Uint8Array([0, 10, 0x41]), to);
  assertEquals(await proc.exit(), 0);
  assertEquals(proc.stdoutBytes, new Uint8Array([0x1b, 0x5b, 0x32, 0x4a, 0xff, 0, 10, 0x41]));
  assertMatch(proc.stderr, /waiting to recvfrom\.\.\.\nlistener: received 2 datagrams, 8 bytes\n$/);
  assert(!proc.stderr.includes("packet"), proc.stderr);
});

Deno.test("the summary says 1 datagram, not 1 datagrams", async () => {
  const { proc, port } = await startTool("listener", ["-k", "-q"]);
  await using _listener = proc;
  await runTool("talker", ["-p", String(port), "::1", "hello"]);
  await proc.waitFor(/recvfrom\.\.\.\n/);
  await waitRead("udp", port); // the listener has taken the datagram from its socket
  proc.kill("SIGINT");
  assertEquals(await proc.exit(), 0);
  assertMatch(proc.stdout, /\nlistener: received 1 datagram, 5 bytes\n$/);
});
