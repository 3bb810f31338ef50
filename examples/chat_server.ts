/**
 * chat_server: each line a client sends (up to 4 KiB) goes to every other client, prefixed
 * by the sender's address and a space. `deno run --allow-net examples/chat_server.ts [-p
 * PORT] [--write-timeout MS]` listens on [::]:PORT (default 5555; 0: any) and says who
 * comes and goes. A client that does not read is dropped once a write to it waited
 * --write-timeout (default 5000) or 1 MiB waits for it; nobody else waits. A longer line
 * closes only its sender. Ctrl-C prints a summary.
 * @module
 */
import { parseArgs } from "node:util";
import { joinHostPort, NetError, serveStream, type StreamConn, StreamReader } from "../mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { port: { type: "string", short: "p" }, "write-timeout": { type: "string" } },
});
const port = Number(values.port ?? 5555);
const writeTimeout = Number(values["write-timeout"] ?? 5000);
if (!(Number.isInteger(port) && port >= 0 && port <= 65535 && writeTimeout > 0)) {
  console.error("usage: chat_server.ts [-p PORT] [--write-timeout MS]");
  Deno.exit(2);
}

const clients = new Map<StreamConn, { queued: number }>();
const counts = { clients: 0, lines: 0, tooLong: 0, slow: 0 };

/** Queues `bytes` for `to`: it never waits for a slow reader, it drops it. */
function send(to: StreamConn, bytes: Uint8Array): void {
  const client = clients.get(to)!;
  if (client.queued + bytes.length > 1 << 20) return drop(to);
  client.queued += bytes.length;
  to.write(bytes).then(() => client.queued -= bytes.length, () => drop(to));
}

function drop(conn: StreamConn): void {
  if (clients.delete(conn)) counts.slow++;
  conn.close();
}

const listener = Deno.listen({ hostname: "::", port });
const stop = new AbortController();
Deno.addSignalListener("SIGINT", () => {
  stop.abort();
  for (const conn of clients.keys()) conn.close();
});
console.log(`chat_server: listening on ${joinHostPort("::", listener.addr.port)}`);

await serveStream(listener, {
  signal: stop.signal,
  writeTimeout,
  idleTimeout: 3_600_000,
  async handler(conn, peer) {
    const name = joinHostPort((peer as Deno.NetAddr).hostname, (peer as Deno.NetAddr).port);
    const prefix = new TextEncoder().encode(`${name} `);
    clients.set(conn, { queued: 0 });
    counts.clients++;
    console.log(`chat_server: + ${name}`);
    try {
      const lines = StreamReader.of(conn);
      for (let line; (line = await lines.readUntil(0x0a, { maxBytes: 4096 })) !== null;) {
        const ended = line.at(-1) === 0x0a ? line : new Uint8Array([...line, 0x0a]);
        const message = new Uint8Array([...prefix, ...ended]);
        counts.lines++;
        for (const other of clients.keys()) if (other !== conn) send(other, message);
      }
    } catch (err) {
      if (err instanceof NetError && err.cause instanceof Deno.errors.InvalidData) counts.tooLong++;
      else if (clients.has(conn)) throw err; // not when we dropped it, or on Ctrl-C
    } finally {
      clients.delete(conn);
      console.log(`chat_server: - ${name}`);
    }
  },
});
const { clients: n, lines, slow, tooLong } = counts;
console.log(
  `chat_server: ${n} clients, ${lines} lines, ${slow} dropped as non-readers, ` +
    `${tooLong} closed for a line over 4 KiB`,
);
Deno.exit(0);
