/**
 * Dialing a host by name in one call, as Go's `Dialer.DialContext` does: the name lookup
 * and the connection attempts share one deadline and one signal.
 *
 * @module
 */
import { joinHostPort } from "./address.ts";
import { Dialer, type DialerOptions } from "./dial.ts";
import { DialDeadline } from "./_dial_deadline.ts";
import { NetError } from "./errors.ts";
import { type Family, resolve } from "./resolve.ts";
import { portOption, signalOption, stringOption, timeoutOption } from "./_validate.ts";

/** Options for {@linkcode dial}: the {@linkcode Dialer}'s, a family and a signal. */
export interface DialHostOptions extends DialerOptions {
  /**
   * Which addresses of the name to try.
   * @default {"any"}
   */
  family?: Family | undefined;
  /**
   * Cancels the lookup or the dial; it then rejects with the signal's reason.
   * @default {undefined}
   */
  signal?: AbortSignal | undefined;
}

/**
 * Looks `host` up and connects to the first of its addresses that answers, all under one
 * deadline (`timeout` covers the lookup too) and one signal: {@linkcode resolve} then
 * {@linkcode Dialer.dial}, with the Dialer's options (`race`, `raceDelay`, `onStep`).
 *
 * Needs `--allow-net` (for the lookup and the connection).
 *
 * @param host A name or an IP literal (IPv6 without brackets; a zone as `fe80::1%2`).
 * @param port The port (1…65535).
 * @param options The deadline (0: none), the family, the racing and a signal.
 * @returns The connection; the caller closes it.
 * @throws {ResolveError} When the name does not resolve (a {@linkcode NetError}, op
 * `lookup`).
 * @throws {NetError} Op `dial` when no address answered, with `timeout` true when the
 * deadline passed (during the lookup or the attempts); as {@linkcode Dialer.dial} does.
 * @throws {RangeError} For a port, `timeout` or `raceDelay` out of range.
 * @throws {TypeError} For a host that is not a string.
 * @example Dial a local listener by name
 * ```ts
 * import { dial } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * using conn = await dial("localhost", listener.addr.port, { family: 4, timeout: 5000 });
 * using _peer = await listener.accept();
 * assertEquals(conn.remoteAddr.hostname, "127.0.0.1");
 * ```
 * @example A port nothing listens on
 * ```ts
 * import { dial, NetError } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const gone = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const port = gone.addr.port;
 * gone.close();
 * const err = await dial("127.0.0.1", port, { timeout: 1000 }).catch((e) => e);
 * assertEquals(err instanceof NetError && !err.timeout, true);
 * assertEquals(err.message, `dial tcp 127.0.0.1:${port}: connection refused`);
 * ```
 */
export async function dial(
  host: string,
  port: number,
  options: DialHostOptions = {},
): Promise<Deno.TcpConn> {
  stringOption("host", host);
  if (portOption(port) === 0) {
    throw new RangeError('Invalid port "0": expected a whole number from 1 to 65535');
  }
  const timeout = timeoutOption("timeout", options.timeout);
  const signal = signalOption(options.signal);
  const address = joinHostPort(host, port);
  const started = performance.now();
  using deadline = new DialDeadline(timeout, signal, address);
  const candidates = await resolve(host, port, {
    family: options.family,
    onStep: options.onStep,
    signal: deadline.signal,
  });
  const left = timeout === undefined ? undefined : timeout - (performance.now() - started);
  if (left !== undefined && left <= 0) throw timedOut(address, timeout!);
  const dialer = new Dialer({ ...options, timeout: left === undefined ? undefined : left });
  try {
    return await dialer.dial(candidates, { signal: deadline.signal });
  } catch (err) {
    // The Dialer's deadline is what was left after the lookup: say the whole one.
    const whole = err instanceof NetError && err.timeout && err.cause === undefined;
    if (whole && timeout !== undefined) throw timedOut(err.address, timeout);
    throw err;
  }
}

function timedOut(address: string, timeout: number): NetError {
  return new NetError("dial", "tcp", address, undefined, { timeout });
}
