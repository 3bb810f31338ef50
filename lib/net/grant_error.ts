/**
 * The error for an operation Deno refused for want of grants, naming every flag to add.
 *
 * @module
 */
import { NetError, type NetOp, type Network } from "./errors.ts";

/**
 * Deno refused a socket operation for want of a grant (a Unix socket's file, the list of
 * network interfaces). A {@linkcode NetError} caused by `Deno.errors.NotCapable`, whose
 * one-line message names every flag to add, so that running again with them is enough;
 * `flags` lists them.
 *
 * @example The message names every missing flag
 * ```ts
 * import { GrantError, NetError } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const cause = new Deno.errors.NotCapable('Requires read access to "/tmp/sk.sock"');
 * const flags = ["--allow-read=/tmp/sk.sock", "--allow-write=/tmp/sk.sock"];
 * const err = new GrantError("listen", "unix", "/tmp/sk.sock", flags, cause);
 * assertEquals(
 *   err.message,
 *   "listen unix /tmp/sk.sock: permission denied: run again with --allow-read=/tmp/sk.sock --allow-write=/tmp/sk.sock",
 * );
 * assertEquals([err instanceof NetError, err.cause === cause], [true, true]);
 * ```
 */
export class GrantError extends NetError {
  /** The flags to add, as they are written on the command line. */
  readonly flags: readonly string[];

  /**
   * Creates the error.
   *
   * @param op The operation refused.
   * @param network The network.
   * @param address The address as shown.
   * @param flags The missing flags.
   * @param cause Deno's `NotCapable` error.
   */
  constructor(
    op: NetOp,
    network: Network,
    address: string,
    flags: readonly string[],
    cause: unknown,
  ) {
    super(op, network, address, cause);
    this.name = "GrantError";
    this.flags = flags;
    this.message = `${op} ${network === "ip" ? "" : `${network} `}${address}: permission denied${
      flags.length ? `: run again with ${flags.join(" ")}` : ""
    }`;
  }
}
