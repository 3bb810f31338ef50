/**
 * The largest payload one UDP datagram can carry.
 *
 * @module
 */
import type { IPFamily } from "./address.ts";
import { UsageError } from "./errors.ts";

/**
 * The largest UDP payload over each IP version: 65,535 minus the IP and UDP headers
 * (IPv4: 20 + 8, so 65,507; IPv6: the 40-byte header is not counted, so 65,527).
 *
 * @example The IPv4 limit
 * ```ts
 * import { MAX_DATAGRAM } from "./datagram_limit.ts";
 * console.log(MAX_DATAGRAM[4]); // 65507
 * ```
 */
export const MAX_DATAGRAM: Readonly<Record<IPFamily, number>> = { 4: 65507, 6: 65527 };

/**
 * Checks that a payload fits in one datagram over `family`, before anything is sent.
 *
 * @param size The payload's size in bytes.
 * @param family The IP version the datagram travels over (an IPv4-mapped peer counts as 4).
 * @throws {UsageError} Naming the size and the limit that applied.
 * @example A message that fits
 * ```ts
 * import { checkDatagramSize } from "./datagram_limit.ts";
 * checkDatagramSize(13, 6); // no error
 * ```
 */
export function checkDatagramSize(size: number, family: IPFamily): void {
  if (size > MAX_DATAGRAM[family]) {
    throw new UsageError(
      `Message too long for one datagram: ${size} bytes, the limit over IPv${family} is ${
        MAX_DATAGRAM[family]
      } bytes`,
    );
  }
}
