/**
 * The one builder of the serving options, for the main thread and every accept thread of
 * `server --workers N`: the handler (greeting or echo), the TLS layer, admission, and the
 * lines each client's fate prints (rate-limited where a flood could repeat them).
 *
 * @module
 */
import { jsonAddress } from "../cli/json.ts";
import type { Reporter } from "../cli/reporter.ts";
import { describeCause } from "../net/errors.ts";
import { escapeText } from "../net/escape.ts";
import type { ServeLimits, ServeStreamOptions } from "../net/serve_stream.ts";
import { echo, greeting } from "../net/stream_handlers.ts";
import type { TlsServerConfig } from "../net/tls_server.ts";
import { type AccessRules, admission, describeTls, isIPv6Peer, shown } from "./server_peer.ts";
import { LimitedLines } from "./limited_lines.ts";

/** What a thread serves: plain data, so that it can be posted to a worker. */
export interface ServeJob {
  /** The message's bytes (in echo mode, sent first; may be empty). */
  message: Uint8Array;
  /** Echo mode. */
  echo: boolean;
  /** No line per connection. */
  quiet: boolean;
  /** Refuse IPv4(-mapped) clients (`-6`). */
  ipv6Only: boolean;
  /** The limits (each thread applies its own). */
  limits: ServeLimits;
  /** `--allow` and `--deny`. */
  access?: AccessRules | undefined;
  /** `--tls`: the PEM text and ALPN protocols. */
  tls?: TlsServerConfig | undefined;
}

/** What one thread's clients did that the library does not count, and the counts so far. */
export interface Tally {
  /** Clients handed to the handler (for the live view). */
  accepted: number;
  /** Clients refused at accept. */
  refused: number;
  /** Echo mode: bytes sent back. */
  echoed: number;
}

/** The options for `serveStream`, and what goes with them. */
export interface Serving {
  /** Everything but the stop signal. */
  options: Omit<ServeStreamOptions, "signal">;
  /** Counted as clients go. */
  tally: Tally;
  /** Prints the lines the rate limits held back; call after the server stopped. */
  flush(): void;
}

/**
 * Builds the serving options of one thread.
 *
 * @param job What to serve, and how.
 * @param r Where each client's line goes (the views of the main thread; plain lines in a
 * worker).
 * @returns The options, the tally and the flush.
 * @throws {Error} When the TLS certificate or key cannot be used.
 */
export async function buildServing(job: ServeJob, r: Reporter): Promise<Serving> {
  const out = r.out;
  const tally: Tally = { accepted: 0, refused: 0, echoed: 0 };
  const layer = job.tls
    ? (await import("../net/tls_server.ts")).tlsServerLayer(job.tls)
    : undefined;
  const handler = job.echo
    ? echo({ message: job.message, onEchoed: (n) => tally.echoed += n })
    : greeting(job.message);
  const refusals = new LimitedLines(out, "refusals", { print: (line) => r.refused({}, line) });
  const handshakes = new LimitedLines(out, "failed handshakes", { stderr: true });
  const failures = new LimitedLines(out, "failed clients", { stderr: true });
  const byAccess = job.access !== undefined &&
    ((job.access.allow?.length ?? 0) > 0 || (job.access.deny?.length ?? 0) > 0);
  const address = (peer: Deno.Addr) =>
    jsonAddress("path" in peer ? peer : peer.transport === "vsock" ? { path: null } : peer);
  const options: Omit<ServeStreamOptions, "signal"> = {
    ...job.limits,
    handler,
    layer,
    admit: admission(job.ipv6Only, job.access),
    onConnection: (peer, tls) => {
      tally.accepted++;
      if (job.quiet) return;
      const described = describeTls(tls);
      if (r.json) {
        r.event("connection", { from: address(peer), ...(described ? { tls: described } : {}) });
      } else r.say(`got connection from ${shown(peer)}${described ? ` (${described})` : ""}`);
    },
    onRefused: (peer) => {
      tally.refused++;
      if (r.json) {
        const reason = job.ipv6Only && !isIPv6Peer(peer) ? "ipv4" : "denied";
        r.refused({ from: address(peer), reason });
      } else if (byAccess) refusals.add(`refused connection from ${shown(peer)}`);
    },
    onHandshakeError: job.quiet ? undefined : (peer, err) => {
      const line = `tls: handshake failed from ${shown(peer)}: ${cause(err)}`;
      if (r.json) r.event("error", { message: line, address: address(peer) });
      handshakes.add(line);
    },
    onHandlerError: job.quiet ? undefined : (peer, err) => {
      const line = `client ${shown(peer)} failed: ${cause(err)}`;
      if (r.json) r.event("error", { message: line, address: address(peer) });
      failures.add(line);
    },
    onAcceptError: (err, ms) => {
      if (ms === 5) r.error(`accept: ${describeCause(err)} (pausing, retrying from ${ms} ms)`);
    },
    onStep: r.onStep,
  };
  return {
    options,
    tally,
    flush() {
      refusals.flush();
      handshakes.flush();
      failures.flush();
    },
  };
}

/** Why a client failed, in a few words, escaped (a TLS error can quote the peer). */
function cause(err: unknown): string {
  return err instanceof Deno.errors.TimedOut ? "timed out" : escapeText(describeCause(err));
}
