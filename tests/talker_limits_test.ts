// What the talker can send, over real processes: the size limit of the IP version the
// datagram really travels over, and messages that cannot come through argv intact.
import { assertEquals } from "./_assert.ts";
import { runTool, text, ToolProcess, udpSocket } from "./_tools.ts";

/** Receives one datagram on `sock`, or undefined when none comes within `ms`. */
async function receiveOne(
  sock: Deno.DatagramConn,
  ms = 2000,
): Promise<Uint8Array | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) =>
    timer = setTimeout(() => resolve(undefined), ms)
  );
  try {
    const got = await Promise.race([sock.receive(new Uint8Array(65536)), late]);
    return got?.[0];
  } finally {
    clearTimeout(timer);
  }
}

for (
  const { host, socketHost, limit, version } of [
    { host: "::ffff:127.0.0.1", socketHost: "127.0.0.1", limit: 65507, version: 4 },
    { host: "::1", socketHost: "::1", limit: 65527, version: 6 },
  ]
) {
  Deno.test(`talker to ${host} sends ${limit} bytes and refuses one more, the IPv${version} limit`, async () => {
    using sock = udpSocket(socketHost);
    const sent = await runTool("talker", ["-p", String(sock.port), host, "x".repeat(limit)]);
    assertEquals(sent.code, 0, sent.stderr);
    assertEquals(sent.stdout, `talker: sent ${limit} bytes to ${host}\n`);
    assertEquals((await receiveOne(sock))?.length, limit);

    const refused = await runTool("talker", ["-p", String(sock.port), host, "x".repeat(limit + 1)]);
    assertEquals(refused.code, 1);
    assertEquals(
      refused.stderr,
      `talker: Message too long for one datagram: ${limit + 1} bytes, ` +
        `the limit over IPv${version} is ${limit} bytes\n`,
    );
    assertEquals(refused.stdout, "");
  });
}

Deno.test("talker refuses a message that is not valid UTF-8, since argv cannot carry it", async () => {
  using sock = udpSocket("::1");
  // The shell passes the byte 0xff as it is; Deno turns it into U+FFFD.
  const proc = new ToolProcess("talker", ["-p", String(sock.port), "::1"], {
    wrap: ["sh", "-c", 'exec "$@" "$(printf "a\\377b")"', "sh"],
  });
  assertEquals(await proc.exit(), 1);
  assertEquals(
    proc.stderr,
    "talker: Message is not valid UTF-8 (Deno turns such bytes into U+FFFD in arguments): " +
      "it cannot be sent as an argument\n",
  );
  assertEquals(proc.stdout, "");
  const got = await receiveOne(sock, 300);
  assertEquals(got && text(got), undefined); // nothing was sent
});
