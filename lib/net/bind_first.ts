/**
 * The original servers' loop: bind the first resolved address that works.
 *
 * @module
 */
import { listenDatagram } from "./_listen_datagram.ts";
import { type NetError, opError } from "./errors.ts";
import type { Candidate } from "./resolve.ts";
import { type OnStep, stepAddress } from "./steps.ts";

/** Options for {@linkcode bindFirst}. */
export interface BindFirstOptions {
  /**
   * Called with each address that could not be bound, before the next is tried.
   * @default {undefined} (failures are only thrown, the first one, when none could be bound)
   */
  onError?: ((candidate: Candidate, error: NetError) => void) | undefined;
  /**
   * TCP only: let other sockets bind the same address and port (`SO_REUSEPORT`, Linux), so
   * that several threads can each accept on it. The address must be free first: a port that
   * another socket already holds, even one with `SO_REUSEPORT`, is "Address already in use",
   * as for any bind, so a server never silently splits another server's clients.
   * @default {false}
   */
  reusePort?: boolean | undefined;
  /**
   * Told of each `socket`, `bind` and (TCP) `listen` call, in order, with the result.
   * @default {undefined} (no steps)
   */
  onStep?: OnStep | undefined;
}

/**
 * Opens a listening socket on the first candidate that can be bound: a TCP listener, or
 * with `transport: "udp"` a datagram socket.
 *
 * @param candidates Addresses from {@linkcode resolve} with `passive: true`.
 * @param transport `tcp` or `udp`.
 * @param options Reporting of each failure.
 * @returns The listening socket; the caller closes it.
 * @throws {NetError} Op `listen`: the first address's failure when none could be bound (each
 * was reported to `onError`), or at once when Deno lacks the net permission.
 * @example An address in use is reported, and the next one is bound
 * ```ts
 * import { bindFirst, type NetError } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const failures: string[] = [];
 * using listener = bindFirst(
 *   [
 *     { hostname: "127.0.0.1", port: taken.addr.port, family: 4 },
 *     { hostname: "127.0.0.1", port: 0, family: 4 },
 *   ],
 *   "tcp",
 *   { onError: (_candidate, error: NetError) => failures.push(error.message) },
 * );
 * assertEquals(failures, [`listen tcp 127.0.0.1:${taken.addr.port}: address already in use`]);
 * assertEquals(listener.addr.hostname, "127.0.0.1");
 * assertEquals(listener.addr.port === 0 || listener.addr.port === taken.addr.port, false);
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
 * @example Bind a free UDP port and receive on it
 * ```ts
 * import { bindFirst } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * // Deno.DatagramConn is not Disposable: close it in `finally`.
 * const conn = bindFirst([{ hostname: "127.0.0.1", port: 0, family: 4 }], "udp");
 * const sender = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
 * try {
 *   await sender.send(new TextEncoder().encode("hi"), conn.addr);
 *   const [data, from] = await conn.receive();
 *   assertEquals(new TextDecoder().decode(data), "hi");
 *   assertEquals((from as Deno.NetAddr).port, (sender.addr as Deno.NetAddr).port);
 * } finally {
 *   sender.close();
 *   conn.close();
 * }
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
  const errors: NetError[] = [];
  for (const candidate of candidates) {
    const { hostname, port } = candidate;
    const onStep = options.onStep;
    const type = transport === "tcp" ? "stream" : "dgram";
    onStep?.({ call: "socket", family: candidate.family, type, note: "listen-in-one" });
    try {
      const bound = transport === "udp"
        ? listenDatagram(hostname, port)
        : options.reusePort
        ? listenShared(hostname, port)
        : Deno.listen({ hostname, port });
      if (onStep !== undefined) {
        const addr = bound.addr as Deno.NetAddr;
        const note = hostname === "::" ? "dual-stack" : undefined;
        onStep({ call: "bind", type, address: stepAddress(addr), note });
        if (transport === "tcp") onStep({ call: "listen", type, backlog: 511 });
      }
      return bound;
    } catch (cause) {
      options.onStep?.({ call: "bind", type, address: stepAddress(candidate), error: cause });
      const error = opError("listen", transport, hostname, port, cause);
      if (cause instanceof Deno.errors.NotCapable) throw error;
      errors.push(error);
      options.onError?.(candidate, error);
    }
  }
  throw errors[0] ?? opError("listen", transport, "(no address)", 0, new Error("No addresses"));
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
