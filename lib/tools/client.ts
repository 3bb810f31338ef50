/**
 * The stream client's story, as the original tells it: resolve the host, try each
 * address in turn (or race them), say which one connected, and print what the server sent.
 *
 * @module
 */
import { isPermissionDenied, needsGrants, quoteField } from "../cli/errors.ts";
import {
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_READ_TIMEOUT,
  DEFAULT_STREAM_PORT,
} from "../cli/defaults.ts";
import { ExitCode } from "../cli/exit_codes.ts";
import type { Output } from "../cli/output.ts";
import { Reporter } from "../cli/reporter.ts";
import { errnoName } from "../cli/errno.ts";
import { ipFamily, joinHostPort } from "../net/address.ts";
import { Dialer } from "../net/dial.ts";
import type { Step } from "../net/steps.ts";
import { describeCause, formatDuration, NetError } from "../net/errors.ts";
import type { StreamSource } from "../net/read_all.ts";
import { type Candidate, type Family, resolve } from "../net/resolve.ts";
import type { TlsClientConn } from "../net/_tls_client.ts";
import type { TlsFiles } from "./tls_files.ts";

const { ConnectionReset } = Deno.errors;

/** Options for {@linkcode runClient}. */
export interface ClientOptions {
  /**
   * Connect to a Unix stream socket at this path instead of a host (`@name`: a Linux
   * abstract name), as `nc -U` does.
   * @default {undefined} (TCP to the host)
   */
  unix?: string | undefined;
  /**
   * The server's port.
   * @default {3490}
   */
  port?: number | undefined;
  /**
   * Which addresses of the host to try.
   * @default {"any"}
   */
  family?: Family | undefined;
  /**
   * One deadline for all connection attempts, in milliseconds.
   * @default {10000}
   */
  connectTimeout?: number | undefined;
  /**
   * How long the server may take to send everything and close, in milliseconds.
   * @default {10000}
   */
  readTimeout?: number | undefined;
  /**
   * Stop reading after this many bytes.
   * @default {65536 in the printed mode (one line); with raw, no limit}
   */
  maxBytes?: number | undefined;
  /**
   * Write the received bytes exactly to stdout (status lines go to stderr).
   * @default {false}
   */
  raw?: boolean | undefined;
  /**
   * Race the addresses (Happy Eyeballs) instead of trying them one after the other, and
   * print each attempt as it starts.
   * @default {false}
   */
  race?: boolean | undefined;
  /**
   * Racing: milliseconds between the starts of two attempts (10…2000).
   * @default {250}
   */
  raceDelay?: number | undefined;
  /**
   * `--tls`: verify the server against the default roots or `ca`, optionally present a
   * client certificate (`cert`, `key`), offer ALPN protocols; the certificate must be valid
   * for `servername` (default: the host as given). A refused certificate ends the run with
   * one line and exit code 2, before any byte is read or sent. The session then runs as
   * over TCP (sending, half-closing with close_notify, reading); an end without
   * close_notify is reported as a possible truncation (exit 1).
   * @default {undefined} (plain TCP)
   */
  tls?:
    | (TlsFiles & { servername?: string | undefined; alpn?: string[] | undefined })
    | undefined;
  /**
   * Bytes to send once connected (`--send`).
   * @default {undefined}
   */
  send?: Uint8Array | undefined;
  /**
   * A stream to send to its end once connected, after `send` (`--stdin`: `Deno.stdin`).
   * @default {undefined}
   */
  input?: StreamSource | undefined;
  /**
   * After sending, half-close the connection (`closeWrite()`, as `nc -N`) and go on
   * reading until the server closes; false keeps the write side open (`--no-shutdown`).
   * @default {true}
   */
  shutdown?: boolean | undefined;
  /**
   * Port check (`-z`): connect, say so, close without reading.
   * @default {false}
   */
  probe?: boolean | undefined;
  /**
   * End the session when no byte has moved either way for this many milliseconds.
   * @default {undefined}
   */
  idleTimeout?: number | undefined;
  /**
   * Stops the client (Ctrl-C): while connecting or in the TLS handshake it gives up, while
   * reading it prints what came so far; either way it returns 130.
   */
  signal?: AbortSignal | undefined;
  /**
   * Reports the events in the views asked for.
   * @default {undefined} (the original's lines)
   */
  reporter?: Reporter | undefined;
}

/** The exit code after an interruption: 128 + SIGINT, as shells report Ctrl-C. */
const INTERRUPTED = ExitCode.Interrupted;

/**
 * Runs the client against `host`, printing as the original does:
 * `client: connecting to ADDR`, then `client: received '...'` with the bytes escaped.
 * Racing, each attempt is printed first: `client: trying ADDR ...`.
 *
 * @param host The server's name or address.
 * @param options Port, family, deadlines, dial mode, output mode and interruption.
 * @param out Where lines go.
 * @returns The exit code: 0; 1 when the server reset the connection, or ended a TLS session
 * without close_notify or with an alert; 2 when no address connected or the server's
 * certificate was refused; 3 when a deadline passed; 130 when `signal` stopped it.
 * @throws {ResolveError} When the host does not resolve (exit 1).
 * @throws {NetError} When receiving failed before any byte came (exit 1).
 * @throws {PermissionError} Naming every grant the run needs (exit 4).
 * @example Fetch the greeting from a local server
 * ```ts
 * import { greeting, serveStream } from "@socketkit/socketkit";
 * import { Output } from "../cli/output.ts";
 * import { runClient } from "./client.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const stop = new AbortController();
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const serving = serveStream(listener, {
 *   handler: greeting(new TextEncoder().encode("Hello, world!")),
 *   signal: stop.signal,
 * });
 * let printed = "";
 * const sink = {
 *   writeSync: (p: Uint8Array) => (printed += new TextDecoder().decode(p), p.length),
 * };
 * const out = new Output("client", { stdout: sink, stderr: sink });
 * assertEquals(await runClient("127.0.0.1", { port: listener.addr.port }, out), 0);
 * stop.abort();
 * await serving;
 * await out.close();
 * assertEquals(printed, "client: connecting to 127.0.0.1\nclient: received 'Hello, world!'\n");
 * ```
 */
export async function runClient(
  host: string,
  options: ClientOptions,
  out: Output,
): Promise<number> {
  const port = options.port ?? DEFAULT_STREAM_PORT;
  const r = options.reporter ?? Reporter.plain(out);
  if (options.unix !== undefined) return await unixClient(options.unix, options, out, r);
  const pem = options.tls
    ? await (await import("./tls_files.ts")).loadTlsFiles(options.tls)
    : undefined;
  // What a run needs: the name (for the lookup), then each address with the port.
  const literal = ipFamily(host) !== undefined;
  const grants = literal ? [] : [host];
  // The lookup is under the connect deadline and Ctrl-C too (as Go's Dialer): a resolver
  // that never answers cannot keep the client waiting past -t.
  const connectTimeout = options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT;
  // An IP literal needs no lookup: no timer on the one-shot path (its first costs ~0.6 ms).
  const lookupDeadline = connectTimeout > 0 && !literal
    ? AbortSignal.timeout(connectTimeout)
    : undefined;
  const lookupSignal = [options.signal, lookupDeadline].filter((s) => s !== undefined);
  let candidates: Candidate[];
  try {
    candidates = await resolve(host, port, {
      family: options.family ?? "any",
      onStep: r.onStep,
      signal: lookupSignal.length > 1 ? AbortSignal.any(lookupSignal) : lookupSignal[0],
    });
  } catch (err) {
    if (options.signal?.aborted) return r.fail("interrupted", INTERRUPTED);
    if (lookupDeadline?.aborted && err === lookupDeadline.reason) {
      const waited = formatDuration(connectTimeout);
      return r.fail(
        `getaddrinfo: no answer within ${waited} (host ${quoteField(host)})`,
        ExitCode.Timeout,
        { errno: "ETIMEDOUT" },
      );
    }
    throw needsGrants(err, grants, `(and each address of ${host} with port ${port})`);
  }
  grants.push(...candidates.map((c) => joinHostPort(c.hostname, c.port)));
  const dialer = new Dialer({
    timeout: connectTimeout,
    race: options.race ?? false,
    raceDelay: options.raceDelay,
    onStep: (step) => {
      r.onStep?.(step);
      report(step, options.race ?? false, options.tls !== undefined, r);
    },
  });
  let conn: Deno.TcpConn;
  try {
    conn = await dialer.dial(candidates, { signal: options.signal });
  } catch (err) {
    if (options.signal?.aborted) {
      return r.fail("interrupted", INTERRUPTED);
    }
    const reset = err instanceof NetError && err.op === "read" &&
      (err.cause instanceof ConnectionReset || err.cause instanceof Deno.errors.NotConnected);
    if (reset) {
      // The server accepted, then reset before the runtime handed the connection over.
      const { failReset } = await import("./client_session.ts"); // only on this failure
      return failReset(r, err.address, 0);
    }
    if (!(err instanceof NetError) || err.op !== "dial") throw needsGrants(err, grants);
    if (err.cause instanceof Deno.errors.NotCapable) throw needsGrants(err, grants);
    if (err.timeout) {
      const waited = formatDuration(options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT);
      return r.fail(`failed to connect: no address answered within ${waited}`, ExitCode.Timeout, {
        errno: "ETIMEDOUT",
      });
    }
    return r.fail("failed to connect", ExitCode.NoAddress, { errno: errnoName(err) ?? null });
  }
  let secure: TlsClientConn | undefined;
  if (options.tls) {
    const [{ startTlsClient, TlsError }, { escapeText }] = await Promise.all([
      import("../net/_tls_client.ts"),
      import("../net/escape.ts"),
    ]);
    r.onStep?.({ call: "handshake", phase: "start" });
    try {
      secure = await startTlsClient(conn, {
        servername: options.tls.servername ?? host,
        ca: pem?.ca,
        cert: pem?.cert,
        key: pem?.key,
        alpn: options.tls.alpn,
        timeout: options.readTimeout ?? DEFAULT_READ_TIMEOUT,
        signal: options.signal,
      });
    } catch (err) {
      r.onStep?.({ call: "handshake", phase: "end", error: err });
      if (options.signal?.aborted) return r.fail("interrupted", INTERRUPTED);
      if (!(err instanceof TlsError)) throw err;
      const code = err.timeout
        ? ExitCode.Timeout
        : err.untrusted
        ? ExitCode.NoAddress
        : ExitCode.Failed;
      // What the peer said is escaped in the message already, where it was made.
      return r.fail(`tls: ${err.message}`, code, {
        address: r.address(conn.remoteAddr),
        errno: err.timeout ? "ETIMEDOUT" : null,
      });
    }
    r.onStep?.({ call: "handshake", phase: "end" });
    const agreed = escapeText(
      `${secure.protocol}${secure.alpnProtocol ? `, ALPN ${secure.alpnProtocol}` : ""}, ` +
        `subject ${secure.subject || "(none)"}`,
    );
    r.event("connected", { address: r.address(conn.remoteAddr), tls: agreed });
    r.say(`tls: ${agreed}`);
  }
  try {
    if (options.probe) {
      // The connected event is out already (at the dial, or after the handshake).
      r.say(`connected to ${joinHostPort(conn.remoteAddr.hostname, conn.remoteAddr.port)}`);
      return ExitCode.Ok;
    }
    // Loaded here: a port check (-z) does not read, and does not load the session's modules.
    const { clientSession } = await import("./client_session.ts");
    return await clientSession(secure ?? conn, {
      ...options,
      reporter: r,
      clientCertificate: pem?.cert !== undefined,
    }, out);
  } finally {
    secure?.close();
    try {
      conn.close();
    } catch { /* closed with the TLS connection */ }
    r.onStep?.({ call: "close", type: "stream" });
  }
}

/** The client over a Unix path: `nc -U PATH`, with the same session as over TCP. */
async function unixClient(
  path: string,
  options: ClientOptions,
  out: Output,
  r: Reporter,
): Promise<number> {
  const waited = options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT;
  let conn: Deno.UnixConn;
  // A TCP run does not load these.
  const [{ dialUnix }, { showUnixPath }] = await Promise.all([
    import("../net/unix_dial.ts"),
    import("../net/unix_address.ts"),
  ]);
  try {
    conn = await dialUnix(path, {
      timeout: waited,
      signal: options.signal,
      onStep: (step) => {
        r.onStep?.(step);
        if (step.call !== "connect" || step.phase !== "end" || step.address === undefined) return;
        if (!("path" in step.address) || step.error !== undefined) return;
        const at = { address: r.address(step.address) };
        r.event("connected", at, `connecting to ${showUnixPath(step.address.path)}`);
      },
    });
  } catch (err) {
    if (options.signal?.aborted) return r.fail("interrupted", INTERRUPTED);
    if (!(err instanceof NetError) || err.op !== "dial") throw err;
    if (isPermissionDenied(err)) throw needsGrants(err, []);
    if (err.timeout) {
      return r.fail(
        `failed to connect: no answer within ${formatDuration(waited)}`,
        ExitCode.Timeout,
        {
          errno: "ETIMEDOUT",
        },
      );
    }
    r.error(`connect: ${describeCause(err.cause)} (${err.address})`, {
      errno: errnoName(err) ?? null,
    });
    return r.fail("failed to connect", ExitCode.NoAddress, { errno: errnoName(err) ?? null });
  }
  try {
    if (options.probe) {
      r.say(`connected to ${showUnixPath(conn.remoteAddr.path)}`);
      return ExitCode.Ok;
    }
    const { clientSession } = await import("./client_session.ts"); // not for a port check
    return await clientSession(conn, { ...options, reporter: r, clientCertificate: false }, out);
  } finally {
    conn.close();
    r.onStep?.({ call: "close", type: "stream" });
  }
}

/** The original's lines for the dial's `connect` steps; `trying` only when racing. */
function report(step: Step, racing: boolean, tls: boolean, r: Reporter): void {
  if (step.call !== "connect" || step.address === undefined || !("port" in step.address)) return;
  const address = joinHostPort(step.address.hostname, step.address.port);
  const at = { address: r.address(step.address) };
  if (step.phase === "start") {
    r.event("attempt", at, racing ? `trying ${address} ...` : undefined);
  } else if (step.error instanceof NetError) {
    const errno = errnoName(step.error) ?? null;
    r.error(`connect: ${describeCause(step.error.cause)} (${address})`, { ...at, errno });
  } else if (step.reason === undefined) {
    // Over TLS the connected event waits for the handshake, to say what it agreed.
    if (tls) r.say(`connecting to ${step.address.hostname}`);
    else r.event("connected", at, `connecting to ${step.address.hostname}`);
  }
}
