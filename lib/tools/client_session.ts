/**
 * The client's one session, over TCP or TLS alike: what it sends (`--send`, `--stdin`), the
 * half-close at the end of it (with close_notify first over TLS), and what it receives,
 * streamed (`--raw`) or gathered into the original's one `client: received '...'` line;
 * ended by the peer, a deadline, idleness or Ctrl-C. Every way it ends is reported here.
 *
 * @module
 */
import { DEFAULT_MAX_BYTES, DEFAULT_READ_TIMEOUT } from "../cli/defaults.ts";
import { ExitCode } from "../cli/exit_codes.ts";
import { InputError } from "../cli/stdin.ts";
import type { Output } from "../cli/output.ts";
import { jsonAddress, jsonBytes } from "../cli/json.ts";
import { Reporter } from "../cli/reporter.ts";
import { errnoName } from "../cli/errno.ts";
import { joinHostPort } from "../net/address.ts";
import { describeCause, formatDuration, NetError, opError } from "../net/errors.ts";
import { showUnixPath } from "../net/unix_address.ts";
import { escapeBytes } from "../net/escape.ts";
import { StreamReader, type StreamSource } from "../net/read_all.ts";
import { startTimer } from "../net/_timer.ts";

/** The connection a session runs on: a `Deno.TcpConn`, or the TLS client's connection. */
export interface SessionConn extends StreamSource {
  /** The server's address. */
  readonly remoteAddr: Deno.Addr;
  /** Writes some of `p`; resolves with how many bytes. */
  write(p: Uint8Array): Promise<number>;
  /** Ends our side (over TLS: close_notify, then the TCP half-close). */
  closeWrite(): Promise<void>;
  /**
   * TLS only: whether the server's end came with close_notify.
   * @default {undefined} (plain TCP: an end is an end)
   */
  readonly closeNotify?: boolean | undefined;
}

/** What a {@linkcode clientSession} sends, and how it reads. */
export interface SessionOptions {
  /** Reports the events in the views asked for. @default {undefined} (the original's lines) */
  reporter?: Reporter | undefined;
  /** Bytes to send first (`--send`). */
  send?: Uint8Array | undefined;
  /** A stream to send after them, to its end (`--stdin`: `Deno.stdin`). */
  input?: StreamSource | undefined;
  /**
   * Half-close (`closeWrite()`) once everything is sent, as `nc -N` does.
   * @default {true}
   */
  shutdown?: boolean | undefined;
  /**
   * Write the received bytes to stdout as they arrive, with backpressure.
   * @default {false}
   */
  raw?: boolean | undefined;
  /**
   * Stop reading after this many bytes.
   * @default {65536; with raw, no limit}
   */
  maxBytes?: number | undefined;
  /**
   * Milliseconds for the server to send everything and close, counted from the end of
   * sending (from the connection when nothing is sent).
   * @default {10000}
   */
  readTimeout?: number | undefined;
  /**
   * End the session when no byte has moved either way for this many milliseconds.
   * @default {undefined} (no idle limit)
   */
  idleTimeout?: number | undefined;
  /**
   * TLS: whether we presented a client certificate (it changes what a refusal likely meant).
   * @default {false}
   */
  clientCertificate?: boolean | undefined;
  /** Ctrl-C: stop, print what came so far, return 130. */
  signal?: AbortSignal | undefined;
}

/** Why reading stopped. */
type End =
  | "eof"
  | "truncated"
  | "limit"
  | "timeout"
  | "idle"
  | "reset"
  | "alert"
  | "interrupt";

const INTERRUPTED = ExitCode.Interrupted;
const CHUNK = 64 * 1024;

/**
 * Runs one session on `conn`: sends, half-closes, reads until the server closes or a
 * limit ends it, and prints as the client does. The caller closes `conn`.
 *
 * @param conn The connected stream, TCP or TLS.
 * @param options What to send, how to read, the deadlines and the stop signal.
 * @param out Where lines and bytes go.
 * @returns The exit code: 0; 1 after a reset (before or after data), a failed send, a TLS end
 * without close_notify or an alert; 3 on the read deadline; 130 after Ctrl-C.
 * @throws {NetError} When receiving failed before any byte came, other than by a reset.
 */
export async function clientSession(
  conn: SessionConn,
  options: SessionOptions,
  out: Output,
): Promise<number> {
  const remote = conn.remoteAddr as Deno.NetAddr | Deno.UnixAddr;
  // A Unix server is named by its path, as `nc -U` names it.
  const peer = "path" in remote
    ? showUnixPath(remote.path)
    : joinHostPort(remote.hostname, remote.port);
  const sending = options.send !== undefined || options.input !== undefined;
  const limit = options.maxBytes ?? (options.raw ? Infinity : DEFAULT_MAX_BYTES);
  const readTimeout = options.readTimeout ?? DEFAULT_READ_TIMEOUT;
  const stop = new AbortController();
  let why: End | undefined;
  let alert: { alert?: string | undefined } | undefined;
  const end = (reason: End) => {
    if (why !== undefined) return;
    why = reason;
    stop.abort();
  };
  const onInterrupt = () => end("interrupt");
  options.signal?.addEventListener("abort", onInterrupt, { once: true });
  if (options.signal?.aborted) onInterrupt();

  let last = performance.now();
  const touch = () => last = performance.now();
  // Timers of lib/net/_timer.ts: the global setTimeout costs a one-shot run 5 ms to load.
  let cancelIdle = () => {};
  const idle = options.idleTimeout;
  if (idle !== undefined) {
    const check = () => {
      const left = last + idle - performance.now();
      if (left <= 0) end("idle");
      else cancelIdle = startTimer(left, check);
    };
    cancelIdle = startTimer(idle, check);
  }
  let cancelRead = () => {};
  const startReadDeadline = () => cancelRead = startTimer(readTimeout, () => end("timeout"));

  const onStep = options.reporter?.onStep;
  // Printing one line of everything received: one recv step for the whole read, as before.
  const gather = !sending && !options.raw;
  const sent = (bytes: Uint8Array) => {
    onStep?.({ call: "send", bytes: bytes.length, data: bytes });
    options.reporter?.event("sent", { to: jsonAddress(remote), size: bytes.length });
  };
  let sendError: unknown;
  let sendDone: Promise<void> = Promise.resolve();
  if (sending) {
    sendDone = (async () => {
      try {
        if (options.send !== undefined) {
          await writeAll(conn, options.send, touch);
          sent(options.send);
        }
        if (options.input !== undefined) {
          const buf = new Uint8Array(CHUNK);
          let n: number | null;
          while (why === undefined && (n = await options.input.read(buf)) !== null) {
            await writeAll(conn, buf.subarray(0, n), touch);
            sent(buf.subarray(0, n));
          }
        }
        if ((options.shutdown ?? true) && why === undefined) {
          await conn.closeWrite();
          onStep?.({ call: "shutdown", type: "stream" });
        }
      } catch (err) {
        if (why === undefined) sendError = err;
        if (err instanceof InputError) end("eof"); // our own input failed: nothing to wait for
      }
      if (why === undefined) startReadDeadline();
    })();
  } else {
    startReadDeadline();
  }

  const reader = StreamReader.of(conn);
  if (gather) onStep?.({ call: "recv", phase: "start" });
  const kept = options.raw ? undefined : new Uint8Array(Math.min(limit, 1 << 30));
  const buf = kept ?? new Uint8Array(CHUNK);
  const stopped = new Promise<void>((resolve) =>
    stop.signal.addEventListener("abort", () => resolve())
  );
  let total = 0;
  try {
    while (why === undefined) {
      const into = kept === undefined ? buf : kept.subarray(Math.min(total, kept.length));
      const probe = into.length === 0; // at the limit: one more byte tells limit from eof
      let n: number | null;
      try {
        n = await reader.read(probe ? new Uint8Array(1) : into, { signal: stop.signal });
        if (!gather) onStep?.({ call: "recv", bytes: n ?? 0, data: into.subarray(0, n ?? 0) });
      } catch (err) {
        if (stop.signal.aborted) break;
        if (err instanceof Deno.errors.ConnectionReset) {
          end("reset");
          break;
        }
        if (isAlert(err)) {
          alert = err;
          end("alert");
          break;
        }
        if (gather) onStep?.({ call: "recv", phase: "end", error: err });
        throw "path" in remote
          ? new NetError("read", "unix", peer, err)
          : opError("read", "tcp", remote.hostname, remote.port, err);
      }
      if (n === null) {
        // TLS: an end without close_notify may have cut what the server sent.
        const ending = conn.closeNotify === false ? "truncated" : "eof";
        // The server is done sending; the session is over once we are too (it may still
        // read: nc -N half-closes as soon as its own input ends).
        await Promise.race([sendDone, stopped]);
        end(ending);
        break;
      }
      touch();
      if (probe) {
        end("limit");
        break;
      }
      if (kept === undefined) {
        const take = Math.min(n, limit - total);
        await Promise.race([out.write(buf.subarray(0, take)), stopped]);
        total += take;
        if (total >= limit) end("limit");
        if (out.closed) end("eof"); // stdout's reader left: nothing more to do
      } else {
        total += n;
      }
    }
  } finally {
    options.signal?.removeEventListener("abort", onInterrupt);
    cancelIdle();
    cancelRead();
  }
  if (gather) {
    const data = kept?.subarray(0, total);
    onStep?.({ call: "recv", phase: "end", bytes: total, data, end: why ?? "eof" });
  }
  return report(why ?? "eof", kept?.subarray(0, total), total, sendError, {
    peer,
    from: remote,
    readTimeout,
    idle,
    alert: alert?.alert,
    clientCertificate: options.clientCertificate ?? false,
    r: options.reporter ?? Reporter.plain(out),
  });
}

/** A TLS alert from the server (a `TlsError` with its `alert`). */
function isAlert(err: unknown): err is { alert: string } {
  return typeof (err as { alert?: unknown })?.alert === "string";
}

/** The lines after the session: one report for every way a session ends. */
function report(
  why: End,
  kept: Uint8Array | undefined,
  total: number,
  sendError: unknown,
  ctx: {
    peer: string;
    from: Deno.NetAddr | Deno.UnixAddr;
    readTimeout: number;
    idle: number | undefined;
    alert: string | undefined;
    clientCertificate: boolean;
    r: Reporter;
  },
): number {
  const { r: out, peer } = ctx;
  const within = formatDuration(ctx.readTimeout);
  if (why === "timeout" && total === 0) {
    return out.fail(`recv: nothing received from ${peer} within ${within}`, ExitCode.Timeout, {
      errno: "ETIMEDOUT",
    });
  }
  if ((why === "truncated" || why === "alert") && total === 0) {
    const how = ctx.alert === undefined ? "" : ` with alert ${ctx.alert}`;
    const aboutCertificates = ctx.alert === undefined ||
      /Certificate|UnknownCA|AccessDenied|HandshakeFailure/.test(ctx.alert);
    const likely = !aboutCertificates
      ? ""
      : ctx.clientCertificate
      ? ": it may have refused our client certificate"
      : ": it may require a client certificate";
    return out.fail(
      `tls: the server ended the TLS session${how} before sending anything${likely}`,
      ExitCode.Failed,
      { errno: null },
    );
  }
  if (why === "reset" && total === 0) return failReset(out, peer, 0);
  if (sendError instanceof InputError) return out.fail(sendError.message, ExitCode.Usage);
  if (kept !== undefined) {
    const fields = { from: jsonAddress(ctx.from), ...jsonBytes(kept), end: why };
    out.event("received", fields, `received '${escapeBytes(kept)}'`);
  }
  if (why === "interrupt") {
    return out.fail(`interrupted after ${total} bytes`, INTERRUPTED);
  }
  if (sendError !== undefined && why !== "reset") {
    return out.fail(`send: ${describeCause(sendError)} (${peer})`, ExitCode.Failed, {
      errno: errnoName(sendError) ?? null,
    });
  }
  if (why === "limit") out.notice(`stopped reading after ${total} bytes (--max-bytes)`);
  if (why === "idle") out.notice(`idle for ${formatDuration(ctx.idle ?? 0)}: closing`);
  if (why === "reset") return failReset(out, peer, total);
  if (why === "truncated") {
    return out.fail(
      `tls: the server ended the session without close_notify after ${total} bytes: ` +
        "the data may be truncated",
      ExitCode.Failed,
      { errno: null },
    );
  }
  if (why === "alert") {
    return out.fail(
      `tls: the server sent alert ${ctx.alert} after ${total} bytes`,
      ExitCode.Failed,
      { errno: null },
    );
  }
  if (why === "timeout") {
    return out.fail(
      `recv: ${peer} did not close the connection within ${within}`,
      ExitCode.Timeout,
      { errno: "ETIMEDOUT" },
    );
  }
  return ExitCode.Ok;
}

/**
 * The line for a reset, in the original's `recv:` words, whenever it came: before any data
 * (the server's address says which one), or after `total` bytes (printed above it).
 *
 * @param r Where the line goes.
 * @param peer The server's address, as shown.
 * @param total How many bytes came before the reset.
 * @returns The exit code: 1.
 */
export function failReset(r: Reporter, peer: string, total: number): number {
  const when = total === 0 ? `before any data (${peer})` : `after ${total} bytes`;
  return r.fail(`recv: Connection reset by peer ${when}`, ExitCode.Failed, {
    errno: "ECONNRESET",
  });
}

/** Writes every byte (writes may be short), noting each as activity. */
async function writeAll(conn: SessionConn, bytes: Uint8Array, touch: () => void): Promise<void> {
  let off = 0;
  while (off < bytes.length) {
    off += await conn.write(bytes.subarray(off));
    touch();
  }
}
