// The server says which client failed and why, one line each, rate-limited like refusals; and
// every accept thread of --workers reports its TLS handshake failures as the main thread does.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { hasCommand, ToolProcess } from "./_tools.ts";
import { runWithInput as peer } from "../testing/run_with_input.ts";
import { makeCerts } from "../testing/certs.ts";

const LIB = new URL("../lib/", import.meta.url).pathname;

Deno.test({
  name: "server --echo prints one line per failed client (reset mid-echo), at most 10 a second",
  ignore: !hasCommand("python3"),
  async fn() {
    const proc = new ToolProcess("server", ["-p", "0", "-H", "127.0.0.1", "--echo"]);
    await using server = proc;
    const port = await proc.port();
    // 30 clients send, then reset (SO_LINGER 0) with the echo unread: each fails mid-echo.
    const script = `
import socket, struct, sys
for i in range(30):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.sendall(b"x" * 200000)
    s.recv(1000)  # the echo has begun
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
`;
    const res = await peer("python3", ["-c", script, String(port)]);
    assertEquals(res.code, 0, res.stderr);
    server.kill("SIGTERM");
    assertEquals(await server.exit(), 0);
    const m = /stopped: (\d+) served, (\d+) failed/.exec(server.stdout);
    assert(m, server.stdout);
    const failed = Number(m[2]);
    assertEquals(failed, 30, server.stdout);
    const lines = server.stderr.split("\n").filter((l) => l.includes(" failed: "));
    for (const line of lines) {
      // deno-lint-ignore no-control-regex -- the test looks for control characters
      assertMatch(line, /^server: client 127\.0\.0\.1 failed: [A-Z][^\x00-\x1f]*$/);
    }
    const hidden = Number(
      /\.\.\. (\d+) more failed clients not shown/.exec(server.stderr)?.[1] ?? 0,
    );
    assertEquals(lines.length + hidden, failed, server.stderr);
    assert(lines.length <= 10 * 3, `${lines.length} lines`); // ≤ 10 a second
  },
});

Deno.test({
  name: "server --workers 2 --tls: every thread prints its failed handshakes",
  ignore: !hasCommand("openssl"),
  async fn() {
    using certs = await makeCerts();
    const proc = new ToolProcess("server", [
      "-p",
      "0",
      "--workers",
      "2",
      "--tls",
      "--cert",
      certs.serverCert,
      "--key",
      certs.serverKey,
    ], { perms: ["--allow-net", `--allow-read=${LIB},${certs.dir}`] });
    await using server = proc;
    const port = await proc.port();
    // Eight clients that speak plain TCP: each handshake fails, in whichever thread took it.
    for (let i = 0; i < 8; i++) {
      using conn = await Deno.connect({ hostname: "::1", port });
      await conn.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
      const buf = new Uint8Array(256);
      try {
        while (await conn.read(buf) !== null) { /* an alert, then the end */ }
      } catch { /* a reset is an end too */ }
    }
    server.kill("SIGTERM");
    assertEquals(await server.exit(), 0);
    assertMatch(server.stdout, /, 8 failed handshakes\n$/);
    const lines = server.stderr.split("\n").filter((l) => l.includes("tls: handshake failed"));
    assertEquals(lines.length, 8, server.stderr);
  },
});
