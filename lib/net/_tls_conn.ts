/**
 * A `node:tls` server socket over a wrapped Deno connection, as a {@linkcode LayerConn}: the
 * handshake settles on every way the client can end it (an error, a close, or only an
 * `end`), reading ahead stops at a bound, and a write waits until the peer takes the bytes.
 *
 * @module
 */
import { type SecureContext, TLSSocket } from "node:tls";
import type { X509Certificate } from "node:crypto";
import type { EventEmitter } from "node:events";
import { type ConnDuplex, gatedConnDuplex } from "./_conn_duplex.ts";
import { clientCertProblem } from "./_client_cert.ts";
import type { LayerConn } from "./stream_layer.ts";
import type { TlsInfo } from "./stream_conn.ts";

/**
 * At most this much is held decrypted and unread, or encrypted and unsent, per client. It
 * must stay under the ~112 KiB at which node:tls (Deno 2.9) stops growing `readableLength`
 * while it goes on reading and decrypting into buffers of its own: a larger bound is never
 * reached, and a client that does not read grows the server by gigabytes.
 */
const BOUND = 64 * 1024;
/** How long a failed handshake may take to send the alert that says why. */
const ALERT_MS = 100;

/** What every handshake of one layer shares. */
export interface TlsServerSetup {
  context: SecureContext;
  /** The CAs a client certificate must be issued by: mutual TLS when defined. */
  cas: X509Certificate[] | undefined;
  alpn: string[] | undefined;
}

/**
 * Runs a server handshake on `conn`.
 *
 * @param conn The accepted connection.
 * @param setup The context, client CAs and ALPN protocols.
 * @returns The connection through TLS, once the handshake is done and the client
 * certificate (with mutual TLS) checked.
 */
export function openTls(conn: Deno.Conn, setup: TlsServerSetup): Promise<LayerConn> {
  const decrypted: { socket?: TLSSocket } = {};
  const raw = gatedConnDuplex(conn, () => (decrypted.socket?.readableLength ?? 0) >= BOUND);
  const mutual = setup.cas !== undefined;
  const tls = decrypted.socket = new TLSSocket(raw.duplex, {
    isServer: true,
    secureContext: setup.context,
    requestCert: mutual,
    rejectUnauthorized: mutual,
    ...(setup.alpn ? { ALPNProtocols: setup.alpn } : {}),
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    const events: [EventEmitter, string, (err?: Error) => void][] = [];
    const on = (target: EventEmitter, name: string, fn: (err?: Error) => void) => {
      target.once(name, fn);
      events.push([target, name, fn]);
    };
    const settle = () => {
      settled = true;
      for (const [target, name, fn] of events) target.off(name, fn);
    };
    const fail = (err?: Error) => {
      if (settled) return;
      settle();
      tls.on("error", () => {/* the handshake's failure is already reported */});
      // Let an alert node:tls queued (a protocol error) reach the client before the
      // connection closes: end the raw stream, then destroy, ALERT_MS at most. A refusal by
      // our own client-certificate check sends none: the client only sees the close.
      // Assigned below, after the early return: `finish` may run before the timer exists.
      // deno-lint-ignore prefer-const
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = () => {
        clearTimeout(timer);
        tls.destroy();
        raw.close();
        reject(err ?? new Deno.errors.ConnectionReset("the client ended the TLS handshake"));
      };
      // Closed already (the server dropped it: a deadline, a newer handshake): nothing can
      // be sent, and no timer may outlive the session.
      if (raw.closed() || raw.duplex.destroyed) return finish();
      timer = setTimeout(finish, ALERT_MS);
      raw.duplex.once("finish", finish);
      raw.duplex.once("close", finish);
      raw.duplex.on("error", () => {/* closing anyway */});
      raw.duplex.end();
    };
    // Every way the handshake can end without `secure`: the TLS socket may report an error,
    // a close, or (a FIN from the client) only an `end`; the raw stream its own end or close.
    on(tls, "error", fail);
    on(tls, "close", () => fail());
    on(tls, "end", () => fail());
    on(raw.duplex, "end", () => fail());
    on(raw.duplex, "close", () => fail());
    on(tls, "secure", () => {
      if (settled) return;
      const problem = mutual
        ? clientCertProblem(tls.getPeerCertificate()?.raw, setup.cas!)
        : undefined;
      if (problem !== undefined) {
        fail(new Error(problem));
        return;
      }
      settle();
      resolve(tlsConn(tls, raw, info(tls, mutual)));
    });
  });
}

function info(socket: TLSSocket, mutual: boolean): TlsInfo {
  const alpn = socket.alpnProtocol;
  const subject = mutual ? formatSubject(socket.getPeerCertificate()?.subject) : "";
  return {
    version: socket.getProtocol() ?? undefined,
    alpn: alpn ? alpn : undefined,
    peerSubject: subject || undefined,
  };
}

/**
 * A certificate subject as one string, `CN=localhost, O=Example`, its values escaped as
 * RFC 4514 escapes them (`\,` `\+` `\"` `\\` `\<` `\>` `\;` `\=`, a leading `#` or space, a
 * trailing space, NUL as `\00`), so that a value cannot pass for more attributes: an O of
 * `x, CN=admin` is `O=x\, CN\=admin`. Control characters are left as they are (peer input:
 * escape it before showing it, as `escapeText` does).
 *
 * @param subject The subject as `node:tls` gives it (a repeated attribute as an array).
 * @returns The string, empty when there is no subject.
 * @example A comma in O cannot pass for a second CN
 * ```ts
 * import { formatSubject } from "./tls_server.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals(
 *   formatSubject({ O: "x, CN=admin", CN: "mallory", OU: ["a", " b "] }),
 *   "O=x\\, CN\\=admin, CN=mallory, OU=a, OU=\\ b\\ ",
 * );
 * ```
 */
export function formatSubject(subject: object | undefined): string {
  if (!subject) return "";
  const parts: string[] = [];
  for (const [k, v] of Object.entries(subject)) {
    for (const value of Array.isArray(v) ? v : [v]) {
      parts.push(`${k}=${escapeValue(String(value))}`);
    }
  }
  return parts.join(", ");
}

/** What RFC 4514 (section 2.4) escapes in an attribute value: one pass, so none twice. */
const RFC4514 = /[,+"\\<>;=\0]|^[# ]| $/g;

function escapeValue(value: string): string {
  return value.replace(RFC4514, (c) => c === "\0" ? "\\00" : `\\${c}`);
}

function tlsConn(socket: TLSSocket, stream: ConnDuplex, tls: TlsInfo): LayerConn {
  const { duplex: raw, resume } = stream;
  let leftover: Uint8Array | null = null;
  let ended = false; // the client's side is done: reads give null
  let closed = false; // the connection is gone: writes fail
  let failure: Error | undefined;
  let waiting: (() => void)[] = [];
  const notify = () => {
    const wake = waiting;
    waiting = [];
    for (const w of wake) w();
  };
  // Whatever happens to either stream wakes a waiting read or write, and is remembered.
  socket.on("readable", notify);
  socket.on("end", () => (ended = true, notify()));
  socket.on("close", () => (ended = closed = true, notify()));
  socket.on("error", (err: Error) => (failure ??= err, notify()));
  raw.on("written", notify);
  raw.on("error", (err: Error) => (failure ??= err, notify()));
  raw.on("close", () => (ended = closed = true, notify()));
  const changed = () => new Promise<void>((resolve) => waiting.push(resolve));
  const gone = () => failure ?? new Deno.errors.ConnectionReset("the TLS connection is closed");

  return {
    tls,
    endsInBand: true,
    async read(p) {
      while (true) {
        const chunk = leftover ?? (socket.read() as Uint8Array | null);
        leftover = null;
        if (chunk !== null && chunk.length > 0) {
          const n = Math.min(p.length, chunk.length);
          p.set(chunk.subarray(0, n));
          if (n < chunk.length) leftover = chunk.subarray(n);
          resume();
          return n;
        }
        if (failure) throw failure;
        if (ended || socket.readableEnded || socket.destroyed) return null;
        resume();
        await changed();
      }
    },
    async write(p) {
      if (closed || socket.destroyed) throw gone();
      await new Promise<void>((resolve, reject) => {
        socket.write(p, (err?: Error | null) => err ? reject(err) : resolve());
      });
      // The write callback comes when the TLS socket took the bytes: wait until the peer
      // has taken enough that at most BOUND bytes wait, so a non-reader holds us back.
      while (stream.pending() > BOUND) {
        if (failure || stream.closed()) throw gone();
        await changed();
      }
    },
    async closeWrite() {
      // The TLS socket sends close_notify and, once the client answers with its own (or at
      // once), closes the connection itself: there is no half-closed TLS session here.
      if (!socket.writableFinished) {
        if (socket.destroyed) throw gone();
        await new Promise<void>((resolve, reject) => {
          // The socket may close (once finished) before the end's callback runs.
          const closing = () => socket.writableFinished && !failure ? resolve() : reject(gone());
          socket.once("close", closing);
          socket.end(() => (socket.off("close", closing), resolve()));
        });
      }
      while (stream.pending() > 0) {
        if (failure || stream.closed()) throw gone();
        await changed();
      }
    },
    close() {
      ended = closed = true;
      socket.destroy();
      stream.close();
      notify();
    },
  };
}
