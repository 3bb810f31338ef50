// A payload's quotes cannot end the field it is quoted in: the listener's "..." and the
// client's '...' lines parse back to the exact bytes, whatever the peer sent.
import { assertEquals } from "./_assert.ts";
import { runTool, ToolProcess, udpSocket } from "./_tools.ts";

/** Reads a quoted field as the README describes the escapes, back into bytes. */
function unescape(field: string): Uint8Array {
  const out: number[] = [];
  const enc = new TextEncoder();
  const simple: Record<string, number> = { "\\": 0x5c, '"': 0x22, "'": 0x27, n: 10, r: 13, t: 9 };
  for (let i = 0; i < field.length; i++) {
    const c = field[i]!;
    if (c !== "\\") {
      const cp = field.codePointAt(i)!;
      out.push(...enc.encode(String.fromCodePoint(cp)));
      if (cp > 0xffff) i++;
      continue;
    }
    const k = field[++i]!;
    if (k in simple) out.push(simple[k]!);
    else if (k === "x") (out.push(parseInt(field.slice(i + 1, i + 3), 16)), i += 2);
    else if (k === "u") {
      const end = field.indexOf("}", i);
      out.push(...enc.encode(String.fromCodePoint(parseInt(field.slice(i + 2, end), 16))));
      i = end;
    } else throw new Error(`unknown escape \\${k} in ${field}`);
  }
  return new Uint8Array(out);
}

const HOSTILE = new TextEncoder().encode(`a"b'c\\" packet contains "x' \x1b[2J\n\u202e`);

Deno.test("listener: a payload's quotes are escaped, so its line parses back to the bytes", async () => {
  await using proc = new ToolProcess("listener", ["-H", "::1", "-p", "0"]);
  const port = await proc.port();
  using sender = udpSocket("::1");
  await sender.send(HOSTILE, { transport: "udp", hostname: "::1", port });
  assertEquals(await proc.exit(), 0, proc.stderr);
  const m = /^listener: packet contains "((?:[^"\\]|\\.)*)"$/m.exec(proc.stdout);
  assertEquals(m !== null, true, proc.stdout);
  assertEquals(unescape(m![1]!), HOSTILE);
  assertEquals(proc.stdout.split("\n").at(-2), m![0]); // the field ends the line
});

Deno.test("client: a payload's quotes are escaped in received '...', so it parses back", async () => {
  using server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    using conn = await server.accept();
    await conn.write(HOSTILE);
  })();
  const res = await runTool("client", ["-p", String(server.addr.port), "127.0.0.1"]);
  await serving;
  assertEquals(res.code, 0, res.stderr);
  const m = /^client: received '((?:[^'\\]|\\.)*)'$/m.exec(res.stdout);
  assertEquals(m !== null, true, res.stdout);
  assertEquals(unescape(m![1]!), HOSTILE);
});
