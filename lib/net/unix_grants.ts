/**
 * The Deno grants a Unix socket needs, and the error that names every missing one.
 *
 * Deno 2.9 asks, for a socket file: `--allow-read` and `--allow-write` on the path to bind
 * it and to connect to it, `--allow-write` to send a datagram to it, and
 * `--allow-net` (which may be scoped as `--allow-net=unix:/abs/path`) for all of them. An
 * abstract name (`@name`) has no file: it needs only `--allow-net`.
 *
 * @module
 */
import { NetError, type NetOp } from "./errors.ts";
import { GrantError } from "./grant_error.ts";
import type { UnixAddress } from "./unix_address.ts";

/** What is done with a Unix address: each needs its own grants. */
export type UnixAccess = "bind" | "connect" | "send";

const FILE_GRANTS: Record<UnixAccess, ("read" | "write")[]> = {
  bind: ["read", "write"],
  connect: ["read", "write"],
  send: ["write"],
};

/**
 * The Deno flags still missing for `access` on `address`, in the order Deno checks them:
 * `--allow-read=PATH`, `--allow-write=PATH`, then `--allow-net` (`--allow-net=unix:PATH`
 * for an absolute path). The path is quoted as a shell needs it, so that the flags can be
 * pasted: in single quotes when it holds a space or another special character, as
 * `$'...'` with `\xHH` escapes when it holds a control character.
 *
 * @param address The Unix address.
 * @param access What is done with it.
 * @returns The flags to add; empty when everything is granted.
 * @example What this run lacks (doc tests run with read, write and net granted)
 * ```ts
 * import { missingUnixGrants, parseUnixAddress } from "@socketkit/socketkit/unix";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals(missingUnixGrants(parseUnixAddress("/tmp/sk.sock"), "bind"), []);
 * assertEquals(missingUnixGrants(parseUnixAddress("@sk"), "connect"), []);
 * ```
 */
export function missingUnixGrants(address: UnixAddress, access: UnixAccess): string[] {
  const missing: string[] = [];
  if (!address.abstract) {
    for (const name of FILE_GRANTS[access]) {
      if (!granted({ name, path: address.path })) {
        missing.push(`--allow-${name}=${shellQuote(address.path)}`);
      }
    }
  }
  const scoped = address.path.startsWith("/");
  if (!granted(scoped ? { name: "net", host: `unix:${address.path}` } : { name: "net" })) {
    missing.push(scoped ? `--allow-net=unix:${shellQuote(address.path)}` : "--allow-net");
  }
  return missing;
}

/**
 * A word as a POSIX shell reads it back unchanged: as it is when it holds only characters
 * no shell treats specially, else in single quotes (`'` written `'\''`), or as `$'...'`
 * (bash, zsh, ksh) with `\xHH` escapes (a character's UTF-8 bytes, read back in any locale)
 * when it holds a control or format character (U+202E), which is thus never printed raw.
 *
 * @param word The text.
 * @returns The text to paste.
 * @example Plain, quoted, escaped
 * ```ts
 * import { shellQuote } from "@socketkit/socketkit/unix";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals(shellQuote("/tmp/sk.sock"), "/tmp/sk.sock");
 * assertEquals(shellQuote("/tmp/a b"), "'/tmp/a b'");
 * assertEquals(shellQuote("/tmp/\x1b[2J"), "$'/tmp/\\x1b[2J'");
 * assertEquals(shellQuote("/tmp/\u202erlo"), "$'/tmp/\\xe2\\x80\\xaerlo'");
 * ```
 */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  if (!CONTROL.test(word)) return `'${word.replaceAll("'", "'\\''")}'`;
  const escaped = word.replace(ESCAPED, (c) => {
    if (c === "\\" || c === "'") return `\\${c}`;
    // Its UTF-8 bytes: bash reads \u only in a UTF-8 locale, \x in any (LC_ALL=C too).
    return [...new TextEncoder().encode(c)].map((b) => `\\x${b.toString(16).padStart(2, "0")}`)
      .join("");
  });
  return `$'${escaped}'`;
}

/** What is never printed raw (controls, format characters such as U+202E, separators). */
const CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]/u;
const ESCAPED = /[\\'\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]/gu;

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

/**
 * The error for a Unix socket operation that failed: a {@linkcode GrantError} naming
 * every missing flag when Deno refused it for want of a grant, else a {@linkcode NetError}.
 *
 * @param op The operation.
 * @param network `unix` or `unixgram`.
 * @param address The address.
 * @param access What was done with it (which grants it needs).
 * @param cause What the runtime threw.
 * @returns The error to throw.
 * @example A refused connection is a plain NetError
 * ```ts
 * import { parseUnixAddress, unixOpError } from "@socketkit/socketkit/unix";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const cause = new Deno.errors.ConnectionRefused("Connection refused (os error 111)");
 * const err = unixOpError("dial", "unix", parseUnixAddress("/tmp/sk.sock"), "connect", cause);
 * assertEquals(err.message, "dial unix /tmp/sk.sock: connection refused");
 * ```
 */
export function unixOpError(
  op: NetOp,
  network: "unix" | "unixgram",
  address: UnixAddress,
  access: UnixAccess,
  cause: unknown,
): NetError {
  if (cause instanceof Deno.errors.NotCapable) {
    return new GrantError(
      op,
      network,
      address.display,
      missingUnixGrants(address, access),
      cause,
    );
  }
  return new NetError(op, network, address.display, cause);
}
