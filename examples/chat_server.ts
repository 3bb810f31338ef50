/**
 * chat_server: each line a client sends (up to 4 KiB) goes to every other client, prefixed by the
 * sender's address (IPv4 as 192.0.2.1:PORT) and a space. `deno run --allow-net
 * examples/chat_server.ts [-p PORT] [--write-timeout MS]` listens on [::]:PORT (default 5555; 0:
 * any) and says who comes and goes. A client that does not read is dropped once a write to it
 * waited --write-timeout (default 5000, at most 2147483647) or 1 MiB waits for it; nobody else
 * waits. A longer line closes only its sender. Ctrl-C prints a summary. Exit 2 for a usage error,
 * 1 when it cannot listen.
 * @module
 */
import { parseArgs } from "node:util";
import { joinHostPort, NetError, serveStream, type StreamConn, StreamReader } from "../mod.ts";

let port = NaN, writeTimeout = NaN;
try {
  const { values } = parseArgs({
    args: Deno.args,
    options: { port: { type: "string", short: "p" }, "write-timeout": { type: "string" } },
  });
  const whole = (text: string) => /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  [port, writeTimeout] = [whole(values.port ?? "5555"), whole(values["write-timeout"] ?? "5000")];
} catch { /* a usage error: below */ }
if (!(port <= 65535 && writeTimeout >= 1 && writeTimeout <= 2 ** 31 - 1)) {
  console.error("usage: chat_server.ts [-p PORT] [--write-timeout MS (1 to 2147483647)]");
  Deno.exit(2);
}

const clients = new Map<StreamConn, { queued: number }>();
const counts = { clients: 0, lines: 0, tooLong: 0, slow: 0 };
/** Queues `bytes` for `to`: it never waits for a slow reader, it drops it. */
function send(to: StreamConn, bytes: Uint8Array): void {
  const client = clients.get(to)!;
  if ((client.queued += bytes.length) > 1 << 20) return drop(to);
  to.write(bytes).then(() => client.queued -= bytes.length, () => drop(to));
}
function drop(conn: StreamConn): void {
  if (clients.delete(conn)) counts.slow++;
  conn.close();
}
const listener = await Promise.try(() => Deno.listen({ hostname: "::", port })).catch((err) => {
  console.error(`chat_server: listen tcp [::]:${port}: ${err.message}`);
  return Deno.exit(1);
});
const stop = new AbortController();
Deno.addSignalListener("SIGINT", () => stop.abort());
console.log(`chat_server: listening on ${joinHostPort("::", listener.addr.port)}`);
await serveStream(listener, {
  signal: stop.signal,
  writeTimeout,
  idleTimeout: 3_600_000,
  drainTimeout: 0, // on Ctrl-C, everyone is closed at once
  async handler(conn, peer) {
    const { hostname, port } = peer as Deno.NetAddr; // an IPv4 client without its ::ffff:
    const name = joinHostPort(hostname.replace(/^::ffff:(?=[\d.]+$)/i, ""), port);
    const prefix = new TextEncoder().encode(`${name} `);
    clients.set(conn, { queued: 0 });
    counts.clients++;
    console.log(`chat_server: + ${name}`);
    try {
      const lines = StreamReader.of(conn);
      for (let line; (line = await lines.readUntil(0x0a, { maxBytes: 4096 })) !== null;) {
        const message = new Uint8Array([...prefix, ...line, ...(line.at(-1) === 10 ? [] : [10])]);
        counts.lines++;
        for (const other of clients.keys()) if (other !== conn) send(other, message);
      }
    } catch (err) {
      if (err instanceof NetError && err.cause instanceof Deno.errors.InvalidData) counts.tooLong++;
      else if (clients.has(conn)) throw err; // not when we dropped it
    } finally {
      clients.delete(conn);
      console.log(`chat_server: - ${name}`);
    }
  },
});
console.log(
  `chat_server: ${counts.clients} clients, ${counts.lines} lines, ${counts.slow} dropped as ` +
    `non-readers, ${counts.tooLong} closed for a line over 4 KiB`,
);
Deno.exit(0);
