/**
 * The largest payload one UDP datagram can carry.
 *
 * @module
 */
import type { IPFamily } from "./address.ts";

/**
 * The largest UDP payload over each IP version: 65,535 minus the IP and UDP headers
 * (IPv4: 20 + 8, so 65,507; IPv6: the 40-byte header is not counted, so 65,527).
 *
 * @example The largest IPv4 datagram goes through whole; one byte more is refused
 * ```ts
 * import { MAX_DATAGRAM } from "./_datagram_limit.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals(MAX_DATAGRAM, { 4: 65507, 6: 65527 });
 * const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
 * try {
 *   await sock.send(new Uint8Array(MAX_DATAGRAM[4]), sock.addr);
 *   const [data] = await sock.receive();
 *   assertEquals(data.length, 65507);
 *   const tooBig = await sock.send(new Uint8Array(MAX_DATAGRAM[4] + 1), sock.addr).catch((e) => e);
 *   assertEquals(tooBig instanceof Error, true);
 * } finally {
 *   sock.close();
 * }
 * ```
 */
export const MAX_DATAGRAM: Readonly<Record<IPFamily, number>> = { 4: 65507, 6: 65527 };

/**
 * A receive buffer for one Unix datagram: a Unix datagram may be far larger than UDP's (up
 * to the sender's send buffer, 212,992 bytes by default): 256 KiB and one byte more, so
 * that one filling it was surely cut.
 *
 * @example Larger than any UDP datagram
 * ```ts
 * import { MAX_DATAGRAM, UNIX_DATAGRAM_BUFFER } from "./_datagram_limit.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals(UNIX_DATAGRAM_BUFFER > MAX_DATAGRAM[6], true);
 * ```
 */
export const UNIX_DATAGRAM_BUFFER = 256 * 1024 + 1;
