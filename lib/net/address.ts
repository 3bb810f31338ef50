/**
 * IP address literals: recognising them, formatting them as the original programs print
 * them, and comparing them.
 *
 * @module
 */

/** An IP version. */
export type IPFamily = 4 | 6;

const IPV4 =
  /^(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

/**
 * Tells whether a string is an IPv4 or IPv6 literal, and which.
 *
 * @param host A host name or address.
 * @returns 4, 6, or undefined for anything that is not an IP literal.
 * @example Recognise literals
 * ```ts
 * import { ipFamily } from "./address.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals([ipFamily("127.0.0.1"), ipFamily("::1"), ipFamily("localhost")], [4, 6, undefined]);
 * assertEquals(ipFamily("256.0.0.1"), undefined);
 * ```
 */
export function ipFamily(host: string): IPFamily | undefined {
  if (IPV4.test(host)) return 4;
  if (!host.includes(":") || /[^0-9a-fA-F:.]/.test(host)) return undefined;
  try {
    new URL(`http://[${host}]/`);
    return 6;
  } catch {
    return undefined;
  }
}

/**
 * Joins a host and port the way addresses are written in messages: `127.0.0.1:3490`,
 * `[::1]:3490`.
 *
 * Needs no permission.
 *
 * @param hostname An address or name.
 * @param port A port.
 * @returns `host:port`, with brackets around IPv6.
 * @throws {TypeError} When `hostname` is not a string.
 * @throws {RangeError} When `port` is not a whole number from 0 to 65535.
 * @example Bracket IPv6
 * ```ts
 * import { joinHostPort } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals(joinHostPort("::1", 3490), "[::1]:3490");
 * assertEquals(joinHostPort("127.0.0.1", 3490), "127.0.0.1:3490");
 * ```
 */
export function joinHostPort(hostname: string, port: number): string {
  if (typeof hostname !== "string") {
    throw new TypeError(`Invalid hostname "${String(hostname)}": expected a string`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Invalid port "${String(port)}": expected a whole number from 0 to 65535`);
  }
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

/**
 * Splits `host:port` into its host and port, as Go's `net.SplitHostPort` does: an IPv6
 * host is in brackets (`[::1]:3490`, `[fe80::1%eth0]:22`), which are removed; a bare name
 * or IPv4 address has one colon. The host may be empty (`:3490`, as Go allows).
 *
 * @param address `host:port`.
 * @returns The host (without brackets) and the port.
 * @throws {TypeError} When the address is not `host:port` (no port, a bare IPv6 address,
 * a port that is not a number).
 * @throws {RangeError} When the port is not from 0 to 65535.
 * @example The inverse of joinHostPort
 * ```ts
 * import { joinHostPort, splitHostPort } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
 *
 * assertEquals(splitHostPort("[::1]:3490"), { hostname: "::1", port: 3490 });
 * assertEquals(splitHostPort("example.com:80"), { hostname: "example.com", port: 80 });
 * assertEquals(splitHostPort(joinHostPort("fe80::1%2", 22)), { hostname: "fe80::1%2", port: 22 });
 * throws(() => splitHostPort("::1"), /Invalid address "::1": an IPv6 host goes in brackets/);
 * throws(() => splitHostPort("localhost"), /Invalid address "localhost": missing port/);
 * ```
 */
export function splitHostPort(address: string): { hostname: string; port: number } {
  if (typeof address !== "string") {
    throw new TypeError(`Invalid address "${String(address)}": expected a string`);
  }
  const bad = (why: string) => new TypeError(`Invalid address ${JSON.stringify(address)}: ${why}`);
  const colon = address.lastIndexOf(":");
  if (colon < 0) throw bad("missing port (host:port, [::1]:port)");
  let hostname = address.slice(0, colon);
  if (hostname.startsWith("[")) {
    if (!hostname.endsWith("]")) throw bad("missing ']' after the IPv6 host");
    hostname = hostname.slice(1, -1);
  } else if (hostname.includes(":")) {
    throw bad("an IPv6 host goes in brackets ([::1]:port)");
  } else if (hostname.includes("]")) {
    throw bad("unexpected ']'");
  }
  const text = address.slice(colon + 1);
  if (!/^[0-9]{1,5}$/.test(text)) throw bad(`the port ${JSON.stringify(text)} is not a number`);
  const port = Number(text);
  if (port > 65535) {
    throw new RangeError(
      `Invalid address ${JSON.stringify(address)}: port ${port} is not from 0 to 65535`,
    );
  }
  return { hostname, port };
}

/**
 * The IPv4-mapped IPv6 form of an IPv4 address, for sending to an IPv4 host from an IPv6
 * socket: `127.0.0.1` → `::ffff:127.0.0.1`.
 *
 * @param ipv4 A dotted-quad IPv4 address.
 * @returns The mapped IPv6 address.
 * @example Map an address
 * ```ts
 * import { toV4Mapped } from "./address.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals(toV4Mapped("127.0.0.1"), "::ffff:127.0.0.1");
 * ```
 */
export function toV4Mapped(ipv4: string): string {
  return `::ffff:${ipv4}`;
}

/**
 * A key under which two spellings of one address compare equal: IPv6 is put in canonical
 * form and IPv4-mapped IPv6 becomes plain IPv4.
 *
 * @param hostname An IP literal.
 * @returns The comparison key.
 * @example Compare a mapped and a plain address
 * ```ts
 * import { addressKey } from "./address.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals(addressKey("::ffff:127.0.0.1"), addressKey("127.0.0.1"));
 * assertEquals(addressKey("::ffff:7f00:1"), "127.0.0.1");
 * assertEquals(addressKey("0:0:0:0:0:0:0:1"), "::1");
 * ```
 */
export function addressKey(hostname: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(hostname);
  if (mapped) return mapped[1]!;
  if (!hostname.includes(":")) return hostname;
  try {
    const canonical = new URL(`http://[${hostname}]/`).hostname.slice(1, -1);
    const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
    if (!hex) return canonical;
    const hi = parseInt(hex[1]!, 16);
    const lo = parseInt(hex[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  } catch {
    return hostname.toLowerCase();
  }
}

/**
 * Whether two socket addresses are the same host and port, however each is spelled.
 *
 * @param a One address.
 * @param b The other.
 * @returns True when they name the same endpoint.
 * @example A reply from the mapped form matches the peer
 * ```ts
 * import { sameAddress } from "./address.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const peer = { hostname: "127.0.0.1", port: 4950 };
 * assertEquals(sameAddress({ hostname: "::ffff:127.0.0.1", port: 4950 }, peer), true);
 * assertEquals(sameAddress({ hostname: "127.0.0.1", port: 4951 }, peer), false);
 * ```
 */
export function sameAddress(
  a: { hostname: string; port: number },
  b: { hostname: string; port: number },
): boolean {
  return a.port === b.port && addressKey(a.hostname) === addressKey(b.hostname);
}

/**
 * The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:127.0.0.1` → `127.0.0.1`), or
 * undefined for any other address: how a dual-stack socket shows an IPv4 peer.
 *
 * @param hostname An IP literal.
 * @returns The IPv4 address, or undefined when `hostname` is not IPv4-mapped.
 * @example Unmap a dual-stack peer
 * ```ts
 * import { fromV4Mapped } from "./address.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals([fromV4Mapped("::ffff:127.0.0.1"), fromV4Mapped("::1")], ["127.0.0.1", undefined]);
 * ```
 */
export function fromV4Mapped(hostname: string): string | undefined {
  if (!/^::ffff:/i.test(hostname)) return undefined;
  const key = addressKey(hostname);
  return key.includes(":") ? undefined : key;
}
