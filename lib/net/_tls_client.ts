/**
 * TLS on a dialed connection, with `node:tls`: the server's certificate verified against the
 * default roots or given CAs, an optional client certificate, ALPN, and what the handshake
 * settled (version, ALPN protocol, the server certificate's subject, issuer, names, dates).
 * Private to the client tool: the library's public TLS is the server's.
 *
 * Why `node:tls` and not `Deno.startTls`: Deno's `handshake()` reports only the ALPN
 * protocol, while the client prints the TLS version and the server's subject too. It runs
 * over the connection the {@linkcode Dialer} made, so the dial's deadline and its lines are
 * those of plain TCP.
 *
 * The connection it returns reads, writes and half-closes as a `Deno.TcpConn` does, so the
 * client's one session runs over TLS as over TCP. Two things only TLS knows are kept: whether
 * the server's end came with close_notify (an end without it may be a truncation), and the
 * alert the server sent, if any.
 *
 * @module
 */
import { connect, type PeerCertificate, type TLSSocket } from "node:tls";
import { connDuplex } from "./_conn_duplex.ts";
import { formatDuration } from "./errors.ts";
import { formatSubject } from "./tls_server.ts";
import { alertOf, describeTlsFailure, TlsError } from "./_tls_client_errors.ts";

export { TlsError } from "./_tls_client_errors.ts";

/** Options for {@linkcode startTlsClient}. */
export interface TlsClientOptions {
  /** The name the certificate must be valid for, also sent as SNI (an IP is not sent). */
  servername: string;
  /**
   * Trust only these CAs (PEM) instead of the default roots.
   * @default {undefined} (the default roots)
   */
  ca?: string | undefined;
  /** A client certificate chain (PEM), with `key`. */
  cert?: string | undefined;
  /** Its private key (PEM). */
  key?: string | undefined;
  /**
   * ALPN protocols to offer.
   * @default {undefined}
   */
  alpn?: string[] | undefined;
  /**
   * The handshake's deadline, in milliseconds.
   * @default {10000}
   */
  timeout?: number | undefined;
  /**
   * Stops the handshake (Ctrl-C): it then rejects with the signal's reason, at once.
   * @default {undefined}
   */
  signal?: AbortSignal | undefined;
}

/** A TLS client connection once its handshake is done: a stream like `Deno.TcpConn`. */
export interface TlsClientConn {
  /** The TLS version (`TLSv1.3`). */
  readonly protocol: string;
  /** The ALPN protocol the server chose, if any. */
  readonly alpnProtocol: string | undefined;
  /** The server certificate's subject (`CN=localhost`), as the peer sent it: not escaped. */
  readonly subject: string;
  /** The server's address. */
  readonly remoteAddr: Deno.NetAddr;
  /**
   * Whether the server's end of the stream came with close_notify; `undefined` until the
   * stream ended. An end without it may have cut what the server sent.
   */
  readonly closeNotify: boolean | undefined;
  /** Reads what the server sent: the count, or `null` at its end. @throws {TlsError} An alert. */
  read(p: Uint8Array): Promise<number | null>;
  /** Writes up to 8 KiB of `p`, one TLS record; resolves with how many bytes. */
  write(p: Uint8Array): Promise<number>;
  /** Sends close_notify after everything written (TLS's half-close). */
  closeWrite(): Promise<void>;
  /** Closes the connection. */
  close(): void;
}

/**
 * Runs a TLS client handshake on `conn` and verifies the server: a certificate that fails
 * verification is an error, never a connection that goes on. Takes ownership of `conn`.
 *
 * Without a client certificate the handshake runs to its end and the certificate is judged
 * after it, before any byte of ours is sent, so that an expired one is called that, with its
 * dates. With one, the handshake stops at the first sign of an untrusted server, before our
 * certificate is sent.
 *
 * @param conn A connected TCP stream.
 * @param options Server name, trust, client certificate, ALPN, deadline, stop signal.
 * @returns The connection and what the handshake settled.
 * @throws {TlsError} When verification or the handshake fails.
 * @throws {unknown} The signal's reason when `options.signal` stopped the handshake.
 */
export function startTlsClient(
  conn: Deno.TcpConn,
  options: TlsClientOptions,
): Promise<TlsClientConn> {
  const isIp = /^[0-9.]+$|:/.test(options.servername);
  const tcp = watchEnd(conn);
  const mutual = options.cert !== undefined && options.key !== undefined;
  const socket = connect({
    socket: connDuplex(tcp.conn),
    servername: isIp ? "" : options.servername,
    host: options.servername,
    rejectUnauthorized: mutual,
    ...(options.ca ? { ca: options.ca } : {}),
    ...(mutual ? { cert: options.cert, key: options.key } : {}),
    ...(options.alpn ? { ALPNProtocols: options.alpn } : {}),
  });
  const ended = watchTlsEnd(socket, tcp);
  const timeout = options.timeout ?? 10_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        fail(
          new TlsError(`handshake timed out after ${formatDuration(timeout)}`, {
            timeout: true,
          }),
        ),
      timeout,
    );
    let settled = false;
    const signal = options.signal;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(signal!.reason);
    };
    function fail(err: unknown) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      const cert = err instanceof TlsError ? undefined : peerCertificate(socket);
      socket.destroy();
      reject(
        err instanceof TlsError ? err : describeTlsFailure(err, options, cert, tcp.first),
      );
    }
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const onClose = () => fail(new Error("the server closed the connection"));
    socket.once("error", fail);
    socket.once("close", onClose);
    socket.once("end", onClose);
    socket.once("secureConnect", () => {
      if (settled) return;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.off("error", fail);
      socket.off("close", onClose);
      socket.off("end", onClose);
      if (!socket.authorized) {
        // node:tls gives the reason as a code (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`), or an Error.
        const reason: unknown = socket.authorizationError;
        fail(
          reason instanceof Error ? reason : Object.assign(
            new Error(`certificate is not trusted (${String(reason)})`),
            { code: String(reason) },
          ),
        );
        return;
      }
      settled = true;
      resolve(tlsConn(socket, conn.remoteAddr, tcp, ended));
    });
  });
}

function peerCertificate(socket: TLSSocket): PeerCertificate | undefined {
  try {
    const cert = socket.getPeerCertificate();
    return cert && Object.keys(cert).length > 0 ? cert : undefined;
  } catch {
    return undefined;
  }
}

/** The TCP stream under TLS: whether the server's FIN was read, and the read gate. */
interface TcpWatch {
  conn: Deno.TcpConn;
  ended: boolean;
  /** The first bytes the server sent (at most {@linkcode FIRST_BYTES}), for a failure. */
  first: Uint8Array;
  /** While set, no TCP read starts: the reader of the decrypted bytes lags. */
  held: Promise<void> | undefined;
  /** Lets reads go on. */
  release: () => void;
}

/** How many of the server's first bytes are kept, to show what a non-TLS server said. */
const FIRST_BYTES = 64;

/**
 * `conn`, noting when the server's FIN is read and what it sent first, its reads held while
 * the reader lags.
 */
function watchEnd(conn: Deno.TcpConn): TcpWatch {
  const watch: TcpWatch = {
    ended: false,
    first: new Uint8Array(0),
    held: undefined,
    release: () => {},
    conn: {
      read: async (p: Uint8Array) => {
        while (watch.held !== undefined) await watch.held;
        const n = await conn.read(p);
        if (n === null) watch.ended = true;
        else if (watch.first.length < FIRST_BYTES) {
          const take = p.subarray(0, Math.min(n, FIRST_BYTES - watch.first.length));
          const first = new Uint8Array(watch.first.length + take.length);
          first.set(watch.first);
          first.set(take, watch.first.length);
          watch.first = first;
        }
        return n;
      },
      write: (p: Uint8Array) => conn.write(p),
      closeWrite: () => conn.closeWrite(),
      close: () => conn.close(),
    } as unknown as Deno.TcpConn,
  };
  return watch;
}

/**
 * Whether the TLS stream's end came with close_notify: the TLS layer ends its readable side
 * either when close_notify arrives (the TCP stream still open) or when the TCP stream ended
 * under it (no close_notify: a possible truncation).
 */
function watchTlsEnd(socket: TLSSocket, tcp: TcpWatch): { closeNotify: boolean | undefined } {
  const state: { closeNotify: boolean | undefined } = { closeNotify: undefined };
  const push = socket.push.bind(socket);
  socket.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (chunk === null && state.closeNotify === undefined) state.closeNotify = !tcp.ended;
    return push(chunk, encoding);
  };
  return state;
}

/** The connection after the handshake, as a stream. */
function tlsConn(
  socket: TLSSocket,
  remoteAddr: Deno.NetAddr,
  tcp: TcpWatch,
  ended: { closeNotify: boolean | undefined },
): TlsClientConn {
  const cert = peerCertificate(socket);
  const source = socketSource(socket, tcp);
  return {
    protocol: socket.getProtocol() ?? "TLS",
    alpnProtocol: socket.alpnProtocol || undefined,
    subject: formatSubject(cert?.subject),
    remoteAddr,
    get closeNotify() {
      return ended.closeNotify;
    },
    read: source.read,
    write: (p: Uint8Array) =>
      new Promise<number>((resolve, reject) => {
        if (socket.destroyed || socket.writableEnded) {
          reject(new Deno.errors.BrokenPipe("Broken pipe: the TLS session is closed for writing"));
          return;
        }
        const n = Math.min(p.length, RECORD);
        socket.write(p.subarray(0, n), (err) => err ? reject(err) : resolve(n));
      }),
    closeWrite: async () => {
      // close_notify after what was written, then the TCP half-close. node:tls over a
      // wrapped connection finishes its writable side (close_notify written) without
      // shutting the TCP one, so that is done here once it finished; whichever comes
      // first of finish, close or an error ends the wait, so it cannot hang.
      const finished = await new Promise<boolean>((resolve) => {
        if (socket.writableFinished) resolve(true);
        if (socket.destroyed) resolve(false);
        socket.once("finish", () => resolve(true));
        socket.once("close", () => resolve(false));
        socket.once("error", () => resolve(false));
        socket.end();
      });
      if (finished && !socket.destroyed) await tcp.conn.closeWrite().catch(() => {});
    },
    close: () => socket.destroy(),
  };
}

/**
 * The most plaintext one write puts in a TLS record. 8 KiB, not TLS's 16 KiB: a peer that
 * reads 8 KiB at a time and waits on the socket's readiness (ncat) leaves half of a 16 KiB
 * record inside its TLS library, where readiness never tells of it, and stalls.
 */
const RECORD = 8192;

/** Decrypted bytes kept for a reader that lags, before the TCP side stops being read. */
const HIGH_WATER = 1 << 20;

/**
 * A TLS socket as a pull reader. The socket always flows: pausing `node:tls` over a wrapped
 * Deno connection (`pause()`, or paused mode's `read()`) and resuming it can leave the
 * server's close_notify unread for ever, which is what made the half-close hang. So
 * decrypted chunks queue, and backpressure is applied below TLS: while a reader lags by
 * {@linkcode HIGH_WATER} bytes, no TCP read starts, so nothing more is decrypted.
 */
function socketSource(
  socket: TLSSocket,
  tcp: TcpWatch,
): { read(p: Uint8Array): Promise<number | null> } {
  const chunks: Uint8Array[] = [];
  let queued = 0;
  let ended = false;
  let error: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  socket.on("data", (chunk: Uint8Array) => {
    chunks.push(chunk);
    queued += chunk.length;
    if (queued > HIGH_WATER && tcp.held === undefined) {
      tcp.held = new Promise((resolve) => tcp.release = resolve);
    }
    notify();
  });
  socket.on("end", () => {
    ended = true;
    notify();
  });
  socket.on("close", () => {
    ended = true;
    notify();
  });
  socket.on("error", (err) => {
    const alert = alertOf(err);
    error = alert === undefined
      ? err
      : new TlsError(`the server sent alert ${alert}`, { alert, cause: err });
    notify();
  });
  return {
    async read(p: Uint8Array): Promise<number | null> {
      while (chunks.length === 0) {
        if (error !== undefined) throw error;
        if (ended) return null;
        await new Promise<void>((resolve) => wake = resolve);
      }
      const chunk = chunks[0]!;
      const n = Math.min(p.length, chunk.length);
      p.set(chunk.subarray(0, n));
      if (n === chunk.length) chunks.shift();
      else chunks[0] = chunk.subarray(n);
      queued -= n;
      if (tcp.held !== undefined && queued <= HIGH_WATER / 2) {
        tcp.held = undefined;
        tcp.release();
      }
      return n;
    },
  };
}
