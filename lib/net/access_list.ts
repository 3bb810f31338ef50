/**
 * Access control by peer address, as ncat's `--allow` and `--deny` read it: addresses and
 * CIDR blocks, IPv4 and IPv6, an IPv4-mapped peer matched as its IPv4 address.
 *
 * @module
 */
import { ipFamily } from "./address.ts";

/** One parsed rule: the first `bits` bits of `value` (IPv4 held as IPv4-mapped IPv6). */
interface Prefix {
  value: bigint;
  bits: number;
  /** Whether the rule is about IPv4 (an IPv4 spec, or one inside `::ffff:0:0/96`). */
  v4: boolean;
}

/** A spec that is not an address or CIDR block; the message names it and says why. */
export class AccessSpecError extends Error {
  /** The spec as given. */
  readonly spec: string;
  /** What is wrong with it. */
  readonly reason: string;
  /**
   * Makes the error for a spec and the reason it is refused.
   *
   * @param spec The spec as given.
   * @param reason What is wrong with it.
   */
  constructor(spec: string, reason: string) {
    super(`Invalid address spec ${JSON.stringify(spec)}: ${reason}`);
    this.name = "AccessSpecError";
    this.spec = spec;
    this.reason = reason;
  }
}

const MAPPED = 0xffffn << 32n;

/** The 128-bit value of an IP literal, IPv4 as IPv4-mapped; undefined for anything else. */
function addressValue(text: string): bigint | undefined {
  const family = ipFamily(text);
  if (family === 4) {
    return text.split(".").reduce((acc, part) => (acc << 8n) | BigInt(part), 0n) | MAPPED;
  }
  if (family !== 6) return undefined;
  let head = text;
  let v4 = 0n;
  let v4Groups = 0;
  const lastColon = text.lastIndexOf(":");
  if (text.slice(lastColon + 1).includes(".")) {
    v4 = addressValue(text.slice(lastColon + 1))! & 0xffffffffn;
    head = text.slice(0, lastColon + 1);
    if (!head.endsWith("::")) head = head.slice(0, -1);
    v4Groups = 2;
  }
  const [left = "", right] = head.split("::");
  const groups = (s: string) => s === "" ? [] : s.split(":");
  const l = groups(left);
  const r = right === undefined ? [] : groups(right);
  const fill = 8 - v4Groups - l.length - r.length;
  const all = [...l, ...Array(right === undefined ? 0 : fill).fill("0"), ...r];
  let value = 0n;
  for (const g of all) value = (value << 16n) | BigInt(parseInt(g, 16));
  return v4Groups ? (value << 32n) | v4 : value;
}

/** The rules of one kind, checked to be strings. */
function specs(kind: string, list: unknown): readonly string[] {
  if (list === undefined) return [];
  if (!Array.isArray(list) || !list.every((spec) => typeof spec === "string")) {
    throw new TypeError(`Invalid ${kind} rules "${String(list)}": expected an array of strings`);
  }
  return list;
}

/**
 * Parses one spec: an address (`127.0.0.1`, `::1`) or a CIDR block (`10.0.0.0/8`,
 * `fe80::/10`). Names are refused: a rule must not depend on a lookup.
 */
function parseSpec(spec: string): Prefix {
  const slash = spec.indexOf("/");
  const address = slash < 0 ? spec : spec.slice(0, slash);
  const value = addressValue(address);
  if (value === undefined) {
    throw new AccessSpecError(spec, "not an IP address or CIDR block (10.0.0.0/8, fe80::/10)");
  }
  const v4 = ipFamily(address) === 4;
  const max = v4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const text = spec.slice(slash + 1);
    bits = /^[0-9]{1,3}$/.test(text) ? Number(text) : NaN;
    if (!(bits <= max)) {
      throw new AccessSpecError(spec, `prefix length must be from 0 to ${max}`);
    }
  }
  const total = v4 ? bits + 96 : bits;
  return { value, bits: total, v4: total >= 96 && isMapped(value) };
}

function isMapped(value: bigint): boolean {
  return value >> 32n === 0xffffn;
}

/** Whether `value` is inside `rule`; an IPv6 rule never matches an IPv4 peer, nor back. */
function matches(rule: Prefix, value: bigint): boolean {
  if (rule.v4 !== isMapped(value)) return false;
  const shift = BigInt(128 - rule.bits);
  return (rule.value >> shift) === (value >> shift);
}

/**
 * Which peers may talk to us, as ncat documents `--allow` and `--deny`: with any allow rule,
 * only peers that match one are admitted; a deny rule wins over an allow rule. With no rules
 * everyone is admitted. An IPv4-mapped peer (`::ffff:127.0.0.1`, as a dual-stack socket
 * shows an IPv4 client) is matched as its IPv4 address; an IPv6 rule (`::/0`) matches only
 * IPv6 peers, an IPv4 rule only IPv4 ones. Needs no permission.
 *
 * @example Allow a network, deny one host in it
 * ```ts
 * import { AccessList } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const access = new AccessList({ allow: ["127.0.0.0/8", "::1"], deny: ["127.0.0.2"] });
 * assertEquals(access.admits("127.0.0.1"), true);
 * assertEquals(access.admits("::ffff:127.0.0.1"), true); // mapped: matched as IPv4
 * assertEquals(access.admits("127.0.0.2"), false); // deny wins
 * assertEquals(access.admits("10.0.0.1"), false); // not allowed
 * assertEquals(access.admits("::1"), true);
 * ```
 */
export class AccessList {
  #allow: Prefix[];
  #deny: Prefix[];

  /**
   * Parses the rules.
   *
   * @param rules `allow` and `deny` specs: addresses or CIDR blocks, IPv4 or IPv6.
   * @throws {AccessSpecError} For a spec that is not one (`300.1.1.1`, `10.0.0.0/33`, a name).
   * @throws {TypeError} When `allow` or `deny` is not an array of strings.
   */
  constructor(
    rules: { allow?: readonly string[] | undefined; deny?: readonly string[] | undefined },
  ) {
    this.#allow = specs("allow", rules?.allow).map(parseSpec);
    this.#deny = specs("deny", rules?.deny).map(parseSpec);
  }

  /** Whether there are no rules at all: then everyone is admitted. */
  get empty(): boolean {
    return this.#allow.length === 0 && this.#deny.length === 0;
  }

  /**
   * Whether a peer is admitted.
   *
   * @param hostname The peer's address, as a socket reports it (a zone `%eth0` is ignored).
   * @returns False when a deny rule matches, or allow rules exist and none matches; with
   * any rule, false for anything that is not an IP address (`localhost`, `""`), which no
   * rule can be checked against.
   */
  admits(hostname: string): boolean {
    const value = typeof hostname === "string"
      ? addressValue(hostname.replace(/%.*$/, ""))
      : undefined;
    if (value === undefined) return this.empty;
    if (this.#deny.some((rule) => matches(rule, value))) return false;
    return this.#allow.length === 0 || this.#allow.some((rule) => matches(rule, value));
  }
}
