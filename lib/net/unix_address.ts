/**
 * Unix domain socket addresses: a file system path, or a Linux abstract name written
 * `@name` (the kernel's `\0name`), parsed as `resolve()` takes a host, and shown as the
 * original programs would show them: the path, or `unnamed` for a peer that bound none.
 *
 * @module
 */
import { escapeBytes } from "./escape.ts";
import { NetError } from "./errors.ts";

/**
 * The room in `struct sockaddr_un`'s `sun_path` (Linux): a path takes at most 107 bytes
 * and its terminating NUL; an abstract name at most 107 bytes after its leading NUL.
 */
export const SUN_PATH_MAX = 108;

/** A Unix socket address, parsed. */
export interface UnixAddress {
  /** The path as the kernel takes it: `\0name` for an abstract name. */
  path: string;
  /** Whether it is a Linux abstract name: no file, no file grants. */
  abstract: boolean;
  /** The address as written and shown: the path, or `@name`. */
  display: string;
}

/**
 * Parses a Unix socket address: `@name` is a Linux abstract name (no file is made),
 * anything else a file system path.
 *
 * @param text A path (`/tmp/sk.sock`, `sk.sock`) or `@name`.
 * @param op The operation the address is for, named in the error.
 * @param network The network named in the error: `unix` (stream) or `unixgram`.
 * @returns The parsed address.
 * @throws {NetError} Op `op` (default `lookup`), network `network` (default `unix`): for an
 * empty path, a NUL byte inside it, more than 107 bytes, or a U+FFFD replacement character
 * (a path given in bytes that are not valid UTF-8 arrives so, Deno decoding its arguments
 * lossily: it would name another file).
 * @example A path and an abstract name
 * ```ts
 * import { parseUnixAddress } from "@socketkit/socketkit/unix";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals(parseUnixAddress("/tmp/sk.sock"), {
 *   path: "/tmp/sk.sock",
 *   abstract: false,
 *   display: "/tmp/sk.sock",
 * });
 * assertEquals(parseUnixAddress("@sk"), { path: "\0sk", abstract: true, display: "@sk" });
 * const err = (() => {
 *   try {
 *     parseUnixAddress("");
 *   } catch (e) {
 *     return e as Error;
 *   }
 * })();
 * assertEquals(err?.message, 'lookup unix "": no such file or directory: empty path');
 * ```
 * @example A path that was not valid UTF-8 is refused
 * ```ts
 * import { parseUnixAddress } from "@socketkit/socketkit/unix";
 * import { throws } from "node:assert/strict";
 *
 * throws(
 *   () => parseUnixAddress("/tmp/caf\uFFFD.sock", "listen", "unixgram"),
 *   { message: "listen unixgram /tmp/caf\uFFFD.sock: invalid argument: the path has U+FFFD in it (what Deno shows for bytes that are not UTF-8)" },
 * );
 * ```
 */
export function parseUnixAddress(
  text: string,
  op: "lookup" | "listen" | "dial" = "lookup",
  network: "unix" | "unixgram" = "unix",
): UnixAddress {
  const abstract = text.startsWith("@");
  const path = abstract ? `\0${text.slice(1)}` : text;
  const display = text === "" ? '""' : showPath(path);
  const fail = (reason: string) => new NetError(op, network, display, new Error(reason));
  if (text === "" || text === "@") throw fail("No such file or directory: empty path");
  if (path.indexOf("\0", abstract ? 1 : 0) !== -1) {
    throw fail("Invalid argument: a NUL byte in the path");
  }
  if (path.includes("\uFFFD")) {
    throw fail(
      "Invalid argument: the path has U+FFFD in it (what Deno shows for bytes that are not UTF-8)",
    );
  }
  const bytes = new TextEncoder().encode(path).length;
  const room = SUN_PATH_MAX - 1;
  if (bytes > room) {
    throw fail(
      `File name too long: ${bytes - (abstract ? 1 : 0)} bytes, at most ${
        room - (abstract ? 1 : 0)
      }`,
    );
  }
  return { path, abstract, display };
}

/**
 * A Unix address as lines show it: the path, `@name` for an abstract name, `unnamed` for a
 * socket bound to no path (a client's, or a sender's that bound none). Control characters
 * and invalid text are escaped, as received bytes are: a peer chooses its own path.
 *
 * @param path The kernel's path (`\0name` for abstract), or null/empty for unnamed.
 * @returns What to print.
 * @example The three kinds
 * ```ts
 * import { showUnixPath } from "@socketkit/socketkit/unix";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals(showUnixPath("/tmp/sk.sock"), "/tmp/sk.sock");
 * assertEquals(showUnixPath("\0sk"), "@sk");
 * assertEquals(showUnixPath(null), "unnamed");
 * assertEquals(showUnixPath("/tmp/\x1b[2J"), "/tmp/\\x1b[2J");
 * ```
 */
export function showUnixPath(path: string | null | undefined): string {
  if (path === null || path === undefined || path === "") return "unnamed";
  return showPath(path);
}

function showPath(path: string): string {
  const text = path.startsWith("\0") ? `@${path.slice(1)}` : path;
  return escapeBytes(new TextEncoder().encode(text));
}

/**
 * Whether two socket addresses name the same endpoint: the same path for Unix sockets
 * (an unnamed socket matches nothing), the same host and port for IP, however spelled.
 *
 * @param a One address.
 * @param b The other.
 * @returns True when they are the same endpoint.
 * @example Unix paths
 * ```ts
 * import { sameUnixAddr } from "@socketkit/socketkit/unix";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const peer = { transport: "unixpacket", path: "/tmp/sk.sock" } as const;
 * assertEquals(sameUnixAddr({ transport: "unixpacket", path: "/tmp/sk.sock" }, peer), true);
 * assertEquals(sameUnixAddr({ transport: "unixpacket", path: "/tmp/other" }, peer), false);
 * assertEquals(sameUnixAddr({ transport: "unixpacket", path: null as unknown as string }, peer), false);
 * ```
 */
export function sameUnixAddr(a: Deno.Addr, b: Deno.Addr): boolean {
  if (!("path" in a) || !("path" in b)) return false;
  return typeof a.path === "string" && a.path !== "" && a.path === b.path;
}
