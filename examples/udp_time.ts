/**
 * udp_time: answer each datagram with the time, in RFC 3339 (`2026-01-02T03:04:05.678Z`).
 *
 *   deno run --allow-net --unstable-net examples/udp_time.ts [-p PORT]
 *
 * Listens on [::]:PORT (default 3737; 0 picks a free one), IPv4 and IPv6. Every reply goes
 * through serveDatagram's guard: never to our own port, to port 0 or a port below 1024, and
 * at most 100 a second to one sender. Ctrl-C prints the counts.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { escapeBytes, joinHostPort, serveDatagram } from "../mod.ts";

/** `text` as it can be printed: escapeBytes' escapes, but quotes and backslashes as they are. */
const safe = (text: string) =>
  escapeBytes(new TextEncoder().encode(text)).replace(/\\([\\"'])/g, "$1");

function fail(message: string, code: number): never {
  console.error(`udp_time: ${message.split("\n").map(safe).join("\n")}`);
  Deno.exit(code);
}

let port = 3737;
try {
  const { values } = parseArgs({
    args: Deno.args,
    options: { port: { type: "string", short: "p" } },
  });
  if (values.port !== undefined) port = Number(values.port);
  if (!/^\d+$/.test(values.port ?? "0") || port > 65535) {
    throw new Error(`Invalid port "${values.port}": expected 0 to 65535`);
  }
} catch (err) {
  fail(`${(err as Error).message}\nusage: udp_time.ts [-p PORT]`, 2);
}

let socket: Deno.DatagramConn;
try {
  socket = Deno.listenDatagram({ transport: "udp", hostname: "::", port });
} catch (err) {
  fail(`cannot listen on port ${port}: ${(err as Error).message}`, 1);
}

const stop = new AbortController();
Deno.addSignalListener("SIGINT", () => stop.abort());
const encoder = new TextEncoder();
const server = serveDatagram(socket, {
  signal: stop.signal,
  handler: async ({ reply }) => {
    await reply(encoder.encode(`${new Date().toISOString()}\n`)).catch((err) =>
      console.error(`udp_time: ${safe(err.message)}`)
    );
  },
});
const addr = server.addr as Deno.NetAddr;
console.log(`udp_time: listening on ${joinHostPort(addr.hostname, addr.port)}`);

const stats = await server.done.catch((err) => fail(err.message, 1));
const { loop, lowPort, rate, failed } = stats.notReplied;
console.log(
  `udp_time: ${stats.datagrams} datagrams, ${stats.replied} answered, not answered: ` +
    `loop ${loop}, low port ${lowPort}, rate ${rate}, failed ${failed}`,
);
Deno.exit(0);
