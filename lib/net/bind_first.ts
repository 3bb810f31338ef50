/**
 * The original servers' loop: bind the first resolved address that works.
 *
 * @module
 */
import { joinHostPort } from "./address.ts";
import { netError, SocketkitError } from "./errors.ts";
import { ExitCode } from "../cli/exit_codes.ts";
import type { Candidate } from "./resolve.ts";

/** Options for {@linkcode bindFirst}. */
export interface BindFirstOptions {
  /** Called with each address that could not be bound, before the next is tried. */
  onError?: ((candidate: Candidate, error: SocketkitError) => void) | undefined;
  /**
   * TCP only: let other sockets bind the same address and port (`SO_REUSEPORT`, Linux), so
   * that several threads can each accept on it. The address must be free first: a port that
   * another socket already holds, even one with `SO_REUSEPORT`, is "Address already in use",
   * as for any bind, so a server never silently splits another server's clients.
   * @default {false}
   */
  reusePort?: boolean | undefined;
}

/**
 * No candidate could be bound. Exit code 2. The message is the original's
 * (`failed to bind`), followed by each reason.
 *
 * @example Catch it
 * ```ts
 * import { BindError } from "./bind_first.ts";
 * console.log(new BindError([]).exitCode); // 2
 * ```
 */
export class BindError extends SocketkitError {
  /** Why each address failed, in order. */
  readonly errors: SocketkitError[];
  /** Creates the value from its parts.
   *
   * @param errors Each address's failure. */
  constructor(errors: SocketkitError[]) {
    super(
      `failed to bind${errors.length ? `: ${errors.map((e) => e.message).join("; ")}` : ""}`,
      ExitCode.NoAddress,
    );
    this.errors = errors;
  }
}

/**
 * Opens a listening socket on the first candidate that can be bound: a TCP listener, or
 * with `transport: "udp"` a datagram socket.
 *
 * @param candidates Addresses from {@linkcode resolve} with `passive: true`.
 * @param transport `tcp` or `udp`.
 * @param options Reporting of each failure.
 * @returns The listening socket; the caller closes it.
 * @throws {BindError} When no address could be bound.
 * @throws {PermissionError} When Deno lacks the net permission.
 * @example Listen on a free port
 * ```ts
 * import { bindFirst } from "./bind_first.ts";
 * using listener = bindFirst([{ hostname: "127.0.0.1", port: 0, family: 4 }], "tcp");
 * console.log(listener.addr.port > 0); // true
 * ```
 */
export function bindFirst(
  candidates: Candidate[],
  transport: "tcp",
  options?: BindFirstOptions,
): Deno.TcpListener;
/**
 * Opens a datagram socket on the first candidate that can be bound.
 *
 * @param candidates Addresses from {@linkcode resolve} with `passive: true`.
 * @param transport `udp`.
 * @param options Reporting of each failure.
 * @returns The bound socket; the caller closes it.
 * @example Bind a free UDP port
 * ```ts
 * import { bindFirst } from "./bind_first.ts";
 * const conn = bindFirst([{ hostname: "::1", port: 0, family: 6 }], "udp");
 * conn.close();
 * ```
 */
export function bindFirst(
  candidates: Candidate[],
  transport: "udp",
  options?: BindFirstOptions,
): Deno.DatagramConn;
export function bindFirst(
  candidates: Candidate[],
  transport: "tcp" | "udp",
  options: BindFirstOptions = {},
): Deno.TcpListener | Deno.DatagramConn {
  const errors: SocketkitError[] = [];
  for (const candidate of candidates) {
    const { hostname, port } = candidate;
    try {
      if (transport === "udp") return Deno.listenDatagram({ transport: "udp", hostname, port });
      return options.reusePort ? listenShared(hostname, port) : Deno.listen({ hostname, port });
    } catch (cause) {
      const error = netError("listen", transport, joinHostPort(hostname, port), cause);
      if (error.exitCode === ExitCode.Permission) throw error;
      errors.push(error);
      options.onError?.(candidate, error);
    }
  }
  throw new BindError(errors);
}

/**
 * Binds with `SO_REUSEPORT` only after an exclusive bind of the same address proved it free
 * (that bind fails with "Address already in use" if anyone holds the port, with or without
 * `SO_REUSEPORT`). Between the two binds the port is free for a moment: a race, not a
 * silent join.
 */
function listenShared(hostname: string, port: number): Deno.TcpListener {
  const probe = Deno.listen({ hostname, port });
  const chosen = probe.addr.port;
  probe.close();
  return Deno.listen({ hostname, port: chosen, reusePort: true });
}
