/**
 * The network interface a multicast group is joined on or sent out of, given as an
 * address, a name or an index (`127.0.0.1`, `eth0`, `2`), as `ip` and `ping -I` take it.
 *
 * @module
 */
import { type IPFamily, ipFamily } from "./address.ts";
import { NetError } from "./errors.ts";
import { GrantError } from "./grant_error.ts";
import { quoteName } from "./_validate.ts";

/** An interface, resolved for one IP family. */
export interface MulticastInterface {
  /** Its name (`lo`, `eth0`), or `""` when an IPv4 address was given and not looked up. */
  name: string;
  /** Its index, or 0 when not looked up (an IPv4 address needs none). */
  index: number;
  /**
   * For IPv4, its IPv4 address (what IPv4 memberships and sending name an interface by);
   * for IPv6, its link-local address (what a sender binds to leave by it), if it has one.
   */
  address: string | undefined;
}

const SYS_GRANT = "--allow-sys=networkInterfaces";

/**
 * Resolves `ADDR|NAME|INDEX` to the interface for `family`. An IPv4 address, for IPv4, is
 * taken as it is; anything else is looked up in `Deno.networkInterfaces()` (grant:
 * `--allow-sys=networkInterfaces`). An index is known from the scope of an interface's
 * link-local IPv6 address (the loopback interface is 1).
 *
 * @param spec An interface address, name or index.
 * @param family The family of the group it is for.
 * @returns The interface.
 * @throws {NetError} Op `lookup`: "no such device" for an unknown interface, or one without
 * an address of the family; a {@linkcode GrantError} naming the flags to add.
 * @example An IPv4 address as it is; a name needs the interface list
 * ```ts
 * import { GrantError } from "@socketkit/socketkit";
 * import { resolveInterface } from "@socketkit/socketkit/multicast";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals(resolveInterface("127.0.0.1", 4), { name: "", index: 0, address: "127.0.0.1" });
 * const listed = Deno.permissions.querySync({ name: "sys", kind: "networkInterfaces" });
 * try {
 *   const lo = resolveInterface("lo", 4);
 *   assertEquals([listed.state, lo.name, lo.address], ["granted", "lo", "127.0.0.1"]);
 * } catch (err) {
 *   assertEquals(err instanceof GrantError && err.flags, ["--allow-sys=networkInterfaces"]);
 * }
 * ```
 */
export function resolveInterface(spec: string, family: IPFamily): MulticastInterface {
  const literal = ipFamily(spec);
  if (family === 4 && literal === 4) return { name: "", index: 0, address: spec };
  const all = interfaces(spec);
  let name: string | undefined;
  if (literal !== undefined) {
    name = all.find((i) => i.address.toLowerCase() === spec.toLowerCase())?.name;
  } else if (/^\d+$/.test(spec)) {
    name = indexToName(Number(spec), all);
  } else if (spec.includes("/") || spec === "." || spec === "..") {
    name = undefined;
  } else if (all.some((i) => i.name === spec)) {
    name = spec;
  }
  if (name === undefined) throw noDevice(spec, `no interface ${quoteName(spec)}`);
  const own = all.filter((i) => i.name === name);
  const address = family === 4
    ? own.find((i) => i.family === "IPv4")?.address
    : own.find((i) => i.family === "IPv6" && /^fe80:/i.test(i.address))?.address;
  if (family === 4 && address === undefined) {
    throw noDevice(spec, `interface ${quoteName(name)} has no IPv4 address`);
  }
  const index = nameToIndex(name, all);
  if (family === 6 && index === undefined) {
    throw noDevice(
      spec,
      `the index of ${quoteName(name)} is unknown (it has no link-local address)`,
    );
  }
  return { name, index: index ?? 0, address };
}

function interfaces(spec: string): Deno.NetworkInterfaceInfo[] {
  try {
    return Deno.networkInterfaces();
  } catch (cause) {
    if (cause instanceof Deno.errors.NotCapable) {
      throw new GrantError("lookup", "ip", `interface ${spec}`, [SYS_GRANT], cause);
    }
    throw cause;
  }
}

/**
 * An interface's index: the scope of its link-local IPv6 address; the loopback interface
 * is 1 in every Linux network namespace. (`/sys/class/net/NAME/ifindex` would need
 * `--allow-all` in Deno 2.9.)
 */
function nameToIndex(name: string, all: Deno.NetworkInterfaceInfo[]): number | undefined {
  const own = all.filter((i) => i.name === name);
  const scoped = own.find((i) => i.scopeid && /^fe80:/i.test(i.address));
  if (scoped?.scopeid) return scoped.scopeid;
  return own.some((i) => i.address === "127.0.0.1" || i.address === "::1") ? 1 : undefined;
}

function indexToName(index: number, all: Deno.NetworkInterfaceInfo[]): string | undefined {
  return all.find((i) => nameToIndex(i.name, all) === index)?.name;
}

function noDevice(spec: string, detail: string): NetError {
  return new NetError("lookup", "ip", `interface ${spec}`, new Error(`No such device: ${detail}`));
}
