/**
 * TLS for {@linkcode serveStream}: a {@linkcode StreamLayer} that runs a server handshake on
 * each accepted client with `node:tls`, optionally requiring a client certificate (mutual
 * TLS), checked as OpenSSL's `-Verify` checks it.
 *
 * Why `node:tls` and not `Deno.listenTls`: in Deno 2.9 `Deno.listenTls` silently ignores
 * client-certificate options, so it cannot do mutual TLS, and its `handshake()` reports
 * only the ALPN protocol, not the TLS version; `node:tls` does both. And as a layer over a
 * connection that Deno accepted, it keeps the accept loop's admission, limits, deadlines
 * and drain exactly as for plain TCP. BENCHMARKS.md has its cost.
 *
 * @module
 */
import { createSecureContext } from "node:tls";
import { X509Certificate } from "node:crypto";
import { openTls } from "./_tls_conn.ts";
import type { StreamLayer } from "./stream_layer.ts";

export { formatSubject } from "./_tls_conn.ts";

/** The PEM text a TLS server needs. */
export interface TlsServerConfig {
  /** The server's certificate chain, PEM. */
  cert: string;
  /** Its private key, PEM. */
  key: string;
  /**
   * Require a client certificate signed by one of these CAs (PEM): mutual TLS. The
   * certificate must be issued directly by one of them, be within its dates, not be a CA
   * certificate, allow digitalSignature if it has a key usage and clientAuth if it has an
   * extended key usage.
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
 * Builds the TLS layer once (the certificate and key are parsed here, not per client). The
 * handshake runs under {@linkcode serveStream}'s `handshakeTimeout` and
 * `maxHandshakesPerAddress`; the handler's connection then reports what it settled in
 * `conn.tls`.
 *
 * @param config Certificate, key, client CA and ALPN protocols.
 * @returns The layer to pass to {@linkcode serveStream}.
 * @throws {Error} When the certificate or key cannot be used.
 * @example Serve a greeting over TLS (the certificates made with openssl)
 * ```ts
 * import { greeting, serveStream, tlsServerLayer } from "@socketkit/socketkit";
 * import { makeCerts } from "../../testing/certs.ts";
 * import { connect } from "node:tls";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * using certs = await makeCerts();
 * const layer = tlsServerLayer({
 *   cert: Deno.readTextFileSync(certs.serverCert),
 *   key: Deno.readTextFileSync(certs.serverKey),
 * });
 * const stop = new AbortController();
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const versions: (string | undefined)[] = [];
 * const serving = serveStream(listener, {
 *   handler: greeting(new TextEncoder().encode("hi")),
 *   layer,
 *   signal: stop.signal,
 *   onConnection: (_peer, tls) => versions.push(tls?.version),
 * });
 * const socket = connect({
 *   host: "127.0.0.1",
 *   port: listener.addr.port,
 *   ca: Deno.readTextFileSync(certs.ca),
 *   servername: "localhost",
 * });
 * let got = "";
 * socket.on("data", (chunk) => got += chunk);
 * await new Promise((resolve) => socket.on("end", resolve));
 * socket.destroy();
 * stop.abort();
 * assertEquals([got, (await serving).served, versions], ["hi", 1, ["TLSv1.3"]]);
 * ```
 */
export function tlsServerLayer(config: TlsServerConfig): StreamLayer {
  const context = createSecureContext({
    cert: config.cert,
    key: config.key,
    ...(config.clientCa ? { ca: config.clientCa } : {}),
  });
  const cas = config.clientCa === undefined ? undefined : (
    config.clientCa.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []
  ).map((pem) => new X509Certificate(pem));
  const setup = { context, cas, alpn: config.alpn };
  return { handshake: true, open: (conn) => openTls(conn, setup) };
}
