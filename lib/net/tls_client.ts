/**
 * TLS on a dialed connection, with `node:tls`: the server's certificate verified against the
 * default roots or given CAs, an optional client certificate, ALPN, and what the handshake
 * settled (version, ALPN protocol, the server certificate's subject).
 *
 * Why `node:tls` and not `Deno.startTls`: Deno's `handshake()` reports only the ALPN
 * protocol, while the client prints the TLS version and the server's subject too. It runs
 * over the connection the {@linkcode Dialer} made, so the dial's deadline and its lines are
 * those of plain TCP.
 *
 * @module
 */
import { connect, type TLSSocket } from "node:tls";
import { connDuplex } from "./_conn_duplex.ts";
import type { StreamSource } from "./read_all.ts";
import { formatSubject } from "./tls_server.ts";

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
}

/** A TLS client connection once its handshake is done. */
export interface TlsClientConn {
  /** The TLS version (`TLSv1.3`). */
  protocol: string;
  /** The ALPN protocol the server chose, if any. */
  alpnProtocol: string | undefined;
  /** The server certificate's subject (`CN=localhost`). */
  subject: string;
  /** What the server sends, for {@linkcode readAll}. */
  source: StreamSource;
  /** Closes the connection. */
  close(): void;
}

/** The handshake failed: the server's certificate was refused, or the peer broke off. */
export class TlsError extends Error {
  /** Whether the server's certificate failed verification (rather than the exchange). */
  readonly untrusted: boolean;
  /**
   * Creates the value from its parts.
   *
   * @param message What failed, and why.
   * @param untrusted Whether verification refused the certificate.
   * @param options The underlying error.
   */
  constructor(message: string, untrusted: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = "TlsError";
    this.untrusted = untrusted;
  }
}

const UNKNOWN_ISSUER = [
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
];

/** The verification failure in rustls's words, as Deno reports it (`UnknownIssuer`). */
function describeTlsFailure(err: unknown, servername: string): TlsError {
  const code = (err as { code?: string }).code ?? "";
  const message = err instanceof Error ? err.message : String(err);
  if (UNKNOWN_ISSUER.includes(code) || /UnknownIssuer/.test(message)) {
    return new TlsError("certificate is not trusted (UnknownIssuer)", true, { cause: err });
  }
  if (code === "CERT_HAS_EXPIRED" || /Expired/.test(message)) {
    return new TlsError("certificate has expired (Expired)", true, { cause: err });
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID" || /NotValidForName/.test(message)) {
    return new TlsError(
      `certificate is not valid for ${JSON.stringify(servername)} (NotValidForName)`,
      true,
      { cause: err },
    );
  }
  if (code.startsWith("CERT_") || /certificate/i.test(message) && !/alert/i.test(message)) {
    return new TlsError(`certificate is not trusted (${code || message})`, true, { cause: err });
  }
  return new TlsError(`handshake failed: ${message}`, false, { cause: err });
}

/**
 * Runs a TLS client handshake on `conn` and verifies the server: a certificate that fails
 * verification is an error, never a connection that goes on. Takes ownership of `conn`.
 *
 * @param conn A connected TCP stream.
 * @param options Server name, trust, client certificate, ALPN, deadline.
 * @returns The connection and what the handshake settled.
 * @throws {TlsError} When verification or the handshake fails.
 * @example Refuse a server nobody vouches for
 * ```ts ignore
 * import { startTlsClient } from "@socketkit/socketkit";
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: 443 });
 * await startTlsClient(conn, { servername: "localhost" }); // TlsError: certificate is not trusted
 * ```
 */
export function startTlsClient(
  conn: Deno.TcpConn,
  options: TlsClientOptions,
): Promise<TlsClientConn> {
  const isIp = /^[0-9.]+$|:/.test(options.servername);
  const socket = connect({
    socket: connDuplex(conn),
    servername: isIp ? "" : options.servername,
    host: options.servername,
    rejectUnauthorized: true,
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.cert && options.key ? { cert: options.cert, key: options.key } : {}),
    ...(options.alpn ? { ALPNProtocols: options.alpn } : {}),
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new TlsError("handshake timed out", false)),
      options.timeout ?? 10_000,
    );
    function fail(err: unknown) {
      clearTimeout(timer);
      socket.destroy();
      reject(err instanceof TlsError ? err : describeTlsFailure(err, options.servername));
    }
    const onClose = () => fail(new Error("the server closed the connection"));
    socket.once("error", fail);
    socket.once("close", onClose);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      socket.off("error", fail);
      socket.off("close", onClose);
      if (!socket.authorized) {
        fail(socket.authorizationError ?? new Error("certificate is not trusted"));
        return;
      }
      resolve({
        protocol: socket.getProtocol() ?? "TLS",
        alpnProtocol: socket.alpnProtocol || undefined,
        subject: formatSubject(socket.getPeerCertificate()?.subject),
        source: socketSource(socket),
        close: () => socket.destroy(),
      });
    });
  });
}

/** A TLS socket as a pull reader: chunks queue while nobody reads, the socket pauses. */
function socketSource(socket: TLSSocket): StreamSource {
  const chunks: Uint8Array[] = [];
  let ended = false;
  let error: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  socket.on("data", (chunk: Uint8Array) => {
    chunks.push(chunk);
    socket.pause();
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
    error = err;
    notify();
  });
  return {
    async read(p: Uint8Array): Promise<number | null> {
      while (chunks.length === 0) {
        if (error !== undefined) throw error;
        if (ended) return null;
        socket.resume();
        await new Promise<void>((resolve) => wake = resolve);
      }
      const chunk = chunks[0]!;
      const n = Math.min(p.length, chunk.length);
      p.set(chunk.subarray(0, n));
      if (n === chunk.length) chunks.shift();
      else chunks[0] = chunk.subarray(n);
      return n;
    },
  };
}
