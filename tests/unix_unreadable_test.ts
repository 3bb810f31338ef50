// A peer bound at a Unix name that is not valid UTF-8 cannot end or stall our loops: Deno
// cannot read its address (InvalidData), so it is counted and the loop goes on. python3 binds
// such names (abstract ones: any local user can).
import { assert, assertEquals } from "./_assert.ts";
import { hasCommand } from "./_tools.ts";
import { serveDatagram, serveStream } from "../mod.ts";

const ignore = !hasCommand("python3");

function python(code: string) {
  return new Deno.Command("python3", { args: ["-c", code], stdout: "null", stderr: "piped" })
    .output();
}

Deno.test({
  name: "serveDatagram() counts a datagram from a sender whose name is not UTF-8 and goes on",
  ignore,
  async fn() {
    const name = `\0sk-u8-dgram-${Deno.pid}`;
    const socket = Deno.listenDatagram({ transport: "unixpacket", path: name });
    const seen: string[] = [];
    await using server = serveDatagram(socket, {
      handler: ({ bytes }) => void seen.push(new TextDecoder().decode(bytes)),
      count: 1,
    });
    const to = JSON.stringify(name).replace("\\u0000", "\\0");
    const sent = await python(
      "import socket\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(b'\\0\\xff" +
        Deno.pid + "')\ns.sendto(b'bad'," + `b${to})\n` +
        "t=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\n" + `t.sendto(b'good',b${to})`,
    );
    assertEquals(sent.code, 0, new TextDecoder().decode(sent.stderr));
    const stats = await server.done;
    assertEquals(seen, ["good"]);
    assertEquals([stats.datagrams, stats.ignored], [1, 1]);
  },
});

Deno.test({
  name: "serveStream() skips clients whose name is not UTF-8 without pausing: others are served",
  ignore,
  async fn() {
    const name = `\0sk-u8-stream-${Deno.pid}`;
    const stop = new AbortController();
    const serving = serveStream(Deno.listen({ transport: "unix", path: name }), {
      handler: async (conn) => void await conn.write(new TextEncoder().encode("hi")),
      signal: stop.signal,
    });
    const to = JSON.stringify(name).replace("\\u0000", "\\0");
    const sent = await python(
      "import socket\nfor i in range(20):\n  s=socket.socket(socket.AF_UNIX)\n" +
        `  s.bind(b'\\0\\xfe%d${Deno.pid}' % i)\n  s.connect(b${to})\n  s.close()`,
    );
    assertEquals(sent.code, 0, new TextDecoder().decode(sent.stderr));
    const started = Date.now();
    const conn = await Deno.connect({ transport: "unix", path: name });
    const buf = new Uint8Array(8);
    const n = await conn.read(buf);
    conn.close();
    assertEquals(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "hi");
    assert(Date.now() - started < 2000, `served after ${Date.now() - started} ms`);
    stop.abort();
    const stats = await serving;
    assertEquals([stats.served, stats.refused, stats.acceptErrors], [1, 20, 0]);
  },
});
