/**
 * Which destinations are not one host: multicast groups (IPv4 224.0.0.0/4, IPv6
 * ff00::/8) and IPv4 broadcast addresses (255.255.255.255, and each local network's
 * directed broadcast).
 *
 * @module
 */
import { addressKey, type IPFamily, ipFamily } from "./address.ts";

/**
 * The family of a multicast group address, or undefined for any other address.
 *
 * @param host An IP literal (an IPv4-mapped IPv6 address counts as IPv4).
 * @returns 4 for 224.0.0.0/4, 6 for ff00::/8, else undefined.
 * @example Groups and hosts
 * ```ts
 * import { multicastFamily } from "@socketkit/socketkit/multicast";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals(multicastFamily("239.1.2.3"), 4);
 * assertEquals(multicastFamily("ff02::1"), 6);
 * assertEquals(multicastFamily("::ffff:224.0.0.1"), 4);
 * assertEquals([multicastFamily("10.0.0.1"), multicastFamily("::1")], [undefined, undefined]);
 * ```
 */
export function multicastFamily(host: string): IPFamily | undefined {
  const family = ipFamily(host);
  if (family === undefined) return undefined;
  const key = addressKey(host);
  if (!key.includes(":")) {
    const first = Number(key.split(".")[0]);
    return first >= 224 && first <= 239 ? 4 : undefined;
  }
  return /^ff[0-9a-f]{2}:/i.test(key) ? 6 : undefined;
}

/**
 * The local IPv4 networks' directed broadcast addresses (a /24's `.255`), from
 * `Deno.networkInterfaces()`; empty when Deno was not granted
 * `--allow-sys=networkInterfaces`.
 *
 * @param interfaces The interfaces.
 * @returns The broadcast addresses, without duplicates.
 * @example A /24 and a point-to-point /32
 * ```ts
 * import { directedBroadcasts } from "@socketkit/socketkit/multicast";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const ifs = [
 *   { family: "IPv4", name: "eth0", address: "192.168.1.7", netmask: "255.255.255.0", scopeid: null, cidr: "192.168.1.7/24", mac: "" },
 *   { family: "IPv4", name: "tun0", address: "10.8.0.1", netmask: "255.255.255.255", scopeid: null, cidr: "10.8.0.1/32", mac: "" },
 * ] as Deno.NetworkInterfaceInfo[];
 * assertEquals(directedBroadcasts(ifs), ["192.168.1.255"]);
 * ```
 */
export function directedBroadcasts(interfaces?: Deno.NetworkInterfaceInfo[]): string[] {
  const found = new Set<string>();
  for (const i of interfaces ?? localInterfaces()) {
    if (i.family !== "IPv4") continue;
    const prefix = Number(i.cidr?.split("/")[1]);
    if (!(prefix >= 0 && prefix <= 30)) continue; // a /31 or /32 has no broadcast address
    const host = (2 ** (32 - prefix)) - 1;
    const ip = toInt(i.address);
    found.add(fromInt(((ip & ~host) | host) >>> 0));
  }
  return [...found];
}

/**
 * Whether sending to `host` would be a broadcast: the limited broadcast 255.255.255.255, or
 * a directed broadcast of a local network (known only with `--allow-sys=networkInterfaces`;
 * without it only the limited broadcast is recognised). Deno sets `SO_BROADCAST` on every
 * UDP socket, so the kernel would not refuse such a send itself.
 *
 * @param host An IP literal.
 * @param interfaces The local interfaces: by default `Deno.networkInterfaces()` when
 * granted, else none.
 * @returns True for a broadcast address.
 * @example The limited and a directed broadcast
 * ```ts
 * import { isBroadcastAddress } from "@socketkit/socketkit/multicast";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const ifs = [
 *   { family: "IPv4", name: "eth0", address: "10.1.2.3", netmask: "255.255.0.0", scopeid: null, cidr: "10.1.2.3/16", mac: "" },
 * ] as Deno.NetworkInterfaceInfo[];
 * assertEquals(isBroadcastAddress("255.255.255.255", []), true);
 * assertEquals(isBroadcastAddress("10.1.255.255", ifs), true);
 * assertEquals(isBroadcastAddress("::ffff:10.1.255.255", ifs), true);
 * assertEquals(isBroadcastAddress("10.1.2.255", ifs), false);
 * ```
 */
export function isBroadcastAddress(
  host: string,
  interfaces?: Deno.NetworkInterfaceInfo[],
): boolean {
  if (ipFamily(host) === undefined) return false;
  const key = addressKey(host);
  if (key.includes(":")) return false;
  return key === "255.255.255.255" || directedBroadcasts(interfaces).includes(key);
}

/**
 * The local interfaces, or none when Deno was not granted `--allow-sys=networkInterfaces`
 * (never a prompt).
 *
 * @returns `Deno.networkInterfaces()`, or an empty list.
 */
export function localInterfaces(): Deno.NetworkInterfaceInfo[] {
  const state = Deno.permissions.querySync({ name: "sys", kind: "networkInterfaces" }).state;
  return state === "granted" ? Deno.networkInterfaces() : [];
}

function toInt(ipv4: string): number {
  return ipv4.split(".").reduce((n, part) => (n << 8 | Number(part)) >>> 0, 0);
}

function fromInt(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}
