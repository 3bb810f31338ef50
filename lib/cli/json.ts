/**
 * The `--json` view: one JSON object per event on stdout (JSON Lines), each with `event`,
 * `time` (RFC 3339, milliseconds, UTC), `tool` and the event's fields in snake_case. The
 * schema is `schema/events.schema.json`.
 *
 * @module
 */
import { fromV4Mapped } from "../net/address.ts";
import { escapeBytes } from "../net/escape.ts";
import { showUnixPath } from "../net/unix_address.ts";

/** The events the tools emit. */
export type EventName =
  | "listening"
  | "connection"
  | "attempt"
  | "connected"
  | "sent"
  | "received"
  | "datagram"
  | "reply"
  | "refused"
  | "error"
  | "summary";

/** An address as the JSON view writes it. */
export interface JsonAddress {
  /** The IP address, without brackets; a Unix socket's path (`@name`, or `unnamed`). */
  address: string;
  /** The port (0 for a Unix socket). */
  port: number;
  /** `IPv4`, `IPv6` or `unix`. */
  family: "IPv4" | "IPv6" | "unix";
}

/**
 * An address for the JSON view. An IPv4-mapped address (`::ffff:127.0.0.1`, an IPv4 peer of
 * the dual-stack socket) is given as the IPv4 address it is, as the human lines show it.
 *
 * @param addr A host and port, or a Unix socket's path (`{ address: "/tmp/s", port: 0, family:
 * "unix" }`; an unnamed peer's is `unnamed`).
 * @returns `{ address, port, family }`.
 * @example
 * ```ts
 * import { jsonAddress } from "./json.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(jsonAddress({ hostname: "::1", port: 4950 }), { address: "::1", port: 4950, family: "IPv6" });
 * assertEquals(jsonAddress({ hostname: "::ffff:127.0.0.1", port: 1 }).family, "IPv4");
 * assertEquals(jsonAddress({ path: "\0sk" }), { address: "@sk", port: 0, family: "unix" });
 * ```
 */
export function jsonAddress(
  addr: { hostname: string; port: number } | { path: string | null },
): JsonAddress {
  if ("path" in addr) return { address: showUnixPath(addr.path), port: 0, family: "unix" };
  const address = fromV4Mapped(addr.hostname) ?? addr.hostname;
  return { address, port: addr.port, family: address.includes(":") ? "IPv6" : "IPv4" };
}

/**
 * Received bytes for the JSON view: `size`, `data` (escaped as the human lines show it)
 * and `data_base64` (the exact bytes).
 *
 * @param bytes What came.
 * @returns The three fields.
 * @example
 * ```ts
 * import { jsonBytes } from "./json.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(jsonBytes(new TextEncoder().encode("hi\n")), { size: 3, data: "hi\\n", data_base64: "aGkK" });
 * ```
 */
export function jsonBytes(
  bytes: Uint8Array,
): { size: number; data: string; data_base64: string } {
  return { size: bytes.length, data: escapeBytes(bytes), data_base64: toBase64(bytes) };
}

/**
 * One event as a JSON line (with the newline).
 *
 * @param tool The tool's name.
 * @param event The event.
 * @param fields Its fields, in snake_case.
 * @returns The line.
 * @example
 * ```ts
 * import { jsonLine } from "./json.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const line = JSON.parse(jsonLine("talker", "sent", { size: 2 }));
 * assertEquals([line.event, line.tool, line.size], ["sent", "talker", 2]);
 * assertEquals(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(line.time), true);
 * ```
 */
export function jsonLine(tool: string, event: EventName, fields: object): string {
  return `{"event":"${event}","time":"${new Date().toISOString()}","tool":${JSON.stringify(tool)}${
    objectTail(fields)
  }}\n`;
}

/** `fields` as `,"key":value...`, or nothing for an empty object. */
function objectTail(fields: object): string {
  const body = JSON.stringify(fields);
  return body === "{}" ? "" : `,${body.slice(1, -1)}`;
}

/**
 * The listener's `datagram` events under a flood: each line built as one string, the
 * sender's address and the time reused while they stay the same (the same line
 * {@linkcode jsonLine} would build, with `jsonAddress` and `jsonBytes`).
 */
export class DatagramJson {
  #head: string;
  #host = "";
  #port = -1;
  #from = "";
  #ms = -1;
  #time = "";

  /**
   * Creates the formatter.
   *
   * @param tool The tool's name.
   */
  constructor(tool: string) {
    this.#head = `","tool":${JSON.stringify(tool)},"from":`;
  }

  /**
   * One datagram's line (with the newline).
   *
   * @param data The datagram.
   * @param from Its sender.
   * @param maxSize Show at most this many bytes in `data` (`data_base64` has them all).
   * @returns The line.
   * @example The same line as jsonLine's
   * ```ts
   * import { DatagramJson, jsonAddress, jsonBytes, jsonLine } from "./json.ts";
   * import { deepStrictEqual as assertEquals } from "node:assert/strict";
   * const data = new Uint8Array([104, 105, 10, 0xff]);
   * const from = { hostname: "::ffff:127.0.0.1", port: 5000 };
   * const fast = JSON.parse(new DatagramJson("listener").line(data, from, undefined));
   * const slow = JSON.parse(jsonLine("listener", "datagram", {
   *   from: jsonAddress(from),
   *   ...jsonBytes(data),
   *   truncated: false,
   * }));
   * assertEquals({ ...fast, time: "" }, { ...slow, time: "" });
   * ```
   */
  line(
    data: Uint8Array,
    from: { hostname: string; port: number } | { path: string | null },
    maxSize?: number,
  ): string {
    if ("path" in from) {
      this.#port = -1; // a Unix sender: its path is shown escaped, not cached
      this.#from = JSON.stringify(jsonAddress(from));
    } else if (from.hostname !== this.#host || from.port !== this.#port) {
      this.#host = from.hostname;
      this.#port = from.port;
      this.#from = JSON.stringify(jsonAddress(from));
    }
    const now = Date.now();
    if (now !== this.#ms) {
      this.#ms = now;
      this.#time = new Date(now).toISOString();
    }
    const cut = maxSize !== undefined && data.length > maxSize;
    const shown = escapeBytes(cut ? data.subarray(0, maxSize) : data);
    return `{"event":"datagram","time":"${this.#time}${this.#head}${this.#from},"size":${data.length},"data":${
      JSON.stringify(shown)
    },"data_base64":"${toBase64(data)}","truncated":${cut}}\n`;
  }
}

const base64 = (Uint8Array.prototype as { toBase64?: () => string }).toBase64;

function toBase64(bytes: Uint8Array): string {
  if (base64 !== undefined) return base64.call(bytes);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
