/**
 * TLS for {@linkcode serveStream}: a {@linkcode StreamLayer} that runs a server handshake on
 * each accepted client with `node:tls`, optionally requiring a client certificate (mutual
 * TLS).
 *
 * Why `node:tls` and not `Deno.listenTls`: in Deno 2.9 `Deno.listenTls` silently ignores
 * client-certificate options, so it cannot do mutual TLS, and its `handshake()` reports
 * only the ALPN protocol, not the TLS version; `node:tls` does both. And as a layer over a
 * TCP connection that Deno accepted, it keeps the accept loop's admission, limits and
 * drain exactly as for plain TCP.
 *
 * @module
 */
import { createSecureContext, type SecureContext, TLSSocket } from "node:tls";
import { X509Certificate } from "node:crypto";
import { connDuplex } from "./_conn_duplex.ts";
import type { LayeredConn, StreamLayer } from "./serve_stream.ts";

/** The PEM text a TLS server needs. */
export interface TlsServerConfig {
  /** The server's certificate chain, PEM. */
  cert: string;
  /** Its private key, PEM. */
  key: string;
  /**
   * Require a client certificate signed by one of these CAs (PEM): mutual TLS.
   * @default {undefined} (no client certificate asked for)
   */
  clientCa?: string | undefined;
  /**
   * ALPN protocols offered, in order of preference.
   * @default {undefined} (no ALPN)
   */
  alpn?: string[] | undefined;
}

/**
 * Builds the TLS layer once (the certificate and key are parsed here, not per client).
 *
 * @param config Certificate, key, client CA and ALPN protocols.
 * @returns The layer to pass to {@linkcode serveStream}.
 * @throws {Error} When the certificate or key cannot be used.
 * @example Serve over TLS
 * ```ts ignore
 * import { serveStream, tlsServerLayer } from "@socketkit/socketkit";
 * const layer = tlsServerLayer({ cert: Deno.readTextFileSync("cert.pem"), key: Deno.readTextFileSync("key.pem") });
 * await serveStream(Deno.listen({ port: 3490 }), { message: new TextEncoder().encode("hi"), layer });
 * ```
 */
export function tlsServerLayer(config: TlsServerConfig): StreamLayer {
  const context = createSecureContext({
    cert: config.cert,
    key: config.key,
    ...(config.clientCa ? { ca: config.clientCa } : {}),
  });
  const cas =
    (config.clientCa?.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [])
      .map((pem) => new X509Certificate(pem));
  const mutual = config.clientCa !== undefined;
  return { open: (conn) => open(conn, context, mutual, config.alpn, cas) };
}

/**
 * Our own check of a client certificate, since Deno 2.9's `node:tls` over a wrapped stream
 * neither rejects nor flags (`authorized`) one from an unknown CA: it must be signed by one
 * of `cas` (directly: no intermediates) and be within its validity dates.
 */
function issuedByOneOf(raw: Uint8Array | undefined, cas: X509Certificate[]): boolean {
  if (raw === undefined || raw.length === 0) return false;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(raw);
  } catch {
    return false;
  }
  const now = Date.now();
  if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) return false;
  return cas.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
}

function open(
  conn: Deno.TcpConn,
  context: SecureContext,
  mutual: boolean,
  alpn: string[] | undefined,
  cas: X509Certificate[],
): Promise<LayeredConn> {
  const raw = connDuplex(conn);
  const socket = new TLSSocket(raw, {
    isServer: true,
    secureContext: context,
    requestCert: mutual,
    rejectUnauthorized: mutual,
    ...(alpn ? { ALPNProtocols: alpn } : {}),
  });
  return new Promise((resolve, reject) => {
    let failed = false;
    const fail = (err?: unknown) => {
      if (failed) return;
      failed = true;
      // Let the alert that says why (certificate required, unknown CA) reach the client
      // before the connection closes: end the raw stream, then destroy, 100 ms at most.
      const finish = () => {
        clearTimeout(timer);
        socket.destroy();
        reject(err ?? new Deno.errors.ConnectionReset("closed during the TLS handshake"));
      };
      const timer = setTimeout(finish, 100);
      raw.once("finish", finish);
      raw.once("close", finish);
      raw.end();
    };
    socket.once("error", fail);
    socket.once("close", () => fail());
    socket.once("secure", () => {
      // Never trust the handshake alone: a client certificate must have been verified.
      if (mutual && !issuedByOneOf(socket.getPeerCertificate()?.raw, cas)) {
        fail(new Error("client certificate is not trusted"));
        return;
      }
      socket.off("error", fail);
      socket.off("close", fail);
      socket.on("error", () => {/* reported through the pending write or end */});
      const subject = mutual ? formatSubject(socket.getPeerCertificate()?.subject) : "";
      resolve(layered(socket, describe(socket.getProtocol(), socket.alpnProtocol, subject)));
    });
  });
}

/** `TLSv1.3, ALPN h2, client CN=alice`: what the connection line says about a handshake. */
function describe(protocol: string | null, alpn: string | false | null, subject: string) {
  return [
    protocol ?? "TLS",
    alpn ? `ALPN ${alpn}` : "",
    subject ? `client ${subject}` : "",
  ].filter((part) => part !== "").join(", ");
}

/**
 * A certificate subject as one string, `CN=localhost, O=Example`.
 *
 * @param subject The subject as `node:tls` gives it.
 * @returns The string, empty when there is no subject.
 */
export function formatSubject(subject: object | undefined): string {
  if (!subject) return "";
  return Object.entries(subject).map(([k, v]) => `${k}=${v}`).join(", ");
}

/** Leftovers of a chunk bigger than the last read asked for, per socket. */
const leftovers = new WeakMap<TLSSocket, Uint8Array>();

/**
 * Reads what the client sent into `p`, as `Deno.Conn.read` does: the count, or null once
 * the client ended its side. The socket stays in paused mode, so nothing is lost between
 * reads.
 */
async function readInto(socket: TLSSocket, p: Uint8Array): Promise<number | null> {
  while (true) {
    const chunk = leftovers.get(socket) ?? (socket.read() as Uint8Array | null);
    if (chunk !== null && chunk.length > 0) {
      const n = Math.min(p.length, chunk.length);
      p.set(chunk.subarray(0, n));
      if (n < chunk.length) leftovers.set(socket, chunk.subarray(n));
      else leftovers.delete(socket);
      return n;
    }
    if (socket.readableEnded || socket.destroyed) return null;
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        socket.off("readable", done);
        socket.off("end", done);
        socket.off("close", done);
        socket.off("error", failed);
        resolve();
      };
      const failed = (err: Error) => {
        done();
        reject(err);
      };
      socket.once("readable", done);
      socket.once("end", done);
      socket.once("close", done);
      socket.once("error", failed);
    });
  }
}

function layered(socket: TLSSocket, description: string): LayeredConn {
  const settle = (start: (done: (err?: Error | null) => void) => void) =>
    new Promise<void>((resolve, reject) => {
      const onClose = () => reject(new Deno.errors.ConnectionReset("connection closed"));
      socket.once("close", onClose);
      start((err) => {
        socket.off("close", onClose);
        if (err) reject(err);
        else resolve();
      });
    });
  return {
    description,
    read: (p) => readInto(socket, p),
    write: (bytes) => settle((done) => socket.write(bytes, done)),
    closeWrite: () => settle((done) => socket.end(() => done())),
    discardUntilEnd: () =>
      new Promise<void>((resolve) => {
        socket.on("data", () => {});
        socket.once("end", resolve);
        socket.once("close", resolve);
      }),
    close: () => socket.destroy(),
  };
}
