/**
 * line_client: send each line of stdin to HOST PORT, print each reply line, in order.
 *
 *   deno run --allow-net examples/line_client.ts HOST PORT < lines.txt
 *
 * Stdin is sent as it comes (lines stay lines); once it ends, our side of the connection is
 * closed, and the client ends when the server has closed its side too. Reply lines are
 * printed escaped (a peer cannot drive the terminal); one over 64 KiB is an error.
 * Exit 0 when both sides are done, 1 on a network error or unreadable stdin, 2 for a usage
 * error.
 *
 * @module
 */
import { dial, escapeBytes, NetError, StreamReader } from "../mod.ts";

/** Prints `message`, escaped (quotes and backslashes stay as they are), and exits. */
function fail(message: string, code: number): never {
  const safe = escapeBytes(new TextEncoder().encode(message)).replace(/\\([\\"'])/g, "$1");
  console.error(`line_client: ${safe}`);
  Deno.exit(code);
}

const [host, portText] = Deno.args;
const port = Number(portText);
if (Deno.args.length !== 2 || !/^\d+$/.test(portText ?? "") || port < 1 || port > 65535) {
  fail("usage: line_client.ts HOST PORT (PORT from 1 to 65535)", 2);
}

try {
  using conn = await dial(host!, port, { timeout: 10_000 });

  /** Sends stdin as it comes (a last line without its newline gets one), then closes our side. */
  const send = async () => {
    let last = 0x0a;
    const stdin = Deno.stdin.readable.getReader();
    const unreadable = (err: Error) => fail(`read stdin: ${err.message}`, 1);
    for (let r; !(r = await stdin.read().catch(unreadable)).done;) {
      await conn.write(r.value);
      last = r.value.at(-1) ?? last;
    }
    if (last !== 0x0a) await conn.write(new Uint8Array([0x0a]));
    await conn.closeWrite();
  };

  /** Prints each reply line until the server closes its side. */
  const receive = async () => {
    const replies = StreamReader.of(conn);
    for (let line; (line = await replies.readUntil(0x0a, { maxBytes: 65536 })) !== null;) {
      const end = line.length - (line.at(-1) === 0x0a ? (line.at(-2) === 0x0d ? 2 : 1) : 0);
      console.log(escapeBytes(line.subarray(0, end)));
    }
  };

  await Promise.all([send(), receive()]);
} catch (err) {
  if (err instanceof NetError) fail(err.message, 1);
  throw err;
}
