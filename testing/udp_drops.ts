/**
 * Helpers shared by the tests and the benchmark: the kernel's count of datagrams it dropped
 * for one socket (its receive queue was full), so that received + dropped can be checked.
 *
 * @module
 */

/**
 * The drop counter of the socket bound to `port` in the text of `/proc/net/udp6`.
 *
 * @param table The file's text.
 * @param port The socket's local port.
 * @returns The count, or undefined when no socket is bound to the port.
 */
export function dropsFromUdpTable(table: string, port: number): number | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  const line = table.split("\n").find((l) => l.trim().split(/\s+/)[1]?.endsWith(`:${hex}`));
  const drops = line?.trim().split(/\s+/).at(-1);
  return drops === undefined ? undefined : Number(drops);
}

/**
 * The kernel's drop counter for the UDP socket on `port`, from `/proc/net/udp6`.
 *
 * @param port The socket's local port.
 * @returns The count, or undefined where `/proc` cannot be read.
 */
export function udpDrops(port: number): number | undefined {
  try {
    return dropsFromUdpTable(Deno.readTextFileSync("/proc/net/udp6"), port);
  } catch {
    return undefined;
  }
}
