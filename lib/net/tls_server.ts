/**
 * TLS for {@linkcode serveStream}: a {@linkcode StreamLayer} that runs a server handshake on
 * each accepted client with `node:tls`, optionally requiring a client certificate (mutual
 * TLS), checked by the rules OpenSSL's `-Verify` applies. A client whose certificate is
 * refused gets no TLS alert (`node:tls` over a wrapped connection has no way to send one):
 * its connection is closed, and `onHandshakeError` is told why.
 *
 * Why `node:tls` and not `Deno.listenTls`: in Deno 2.9 `Deno.listenTls` silently ignores
 * client-certificate options, so it cannot do mutual TLS, and its `handshake()` reports
 * only the ALPN protocol, not the TLS version; `node:tls` does both. And as a layer over a
 * connection that Deno accepted, it keeps the accept loop's admission, limits, deadlines
 * and drain exactly as for plain TCP. BENCHMARKS.md has its cost.
 *
 * @module
 */
import { createSecureContext, type SecureContext } from "node:tls";
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { describeCause } from "./errors.ts";
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
 * Builds the TLS layer once (the certificate and key are parsed and checked here, not per
 * client). The handshake runs under {@linkcode serveStream}'s `handshakeTimeout` and
 * `maxHandshakesPerAddress`; the handler's connection then reports what it settled in
 * `conn.tls`.
 *
 * @param config Certificate, key, client CA and ALPN protocols.
 * @returns The layer to pass to {@linkcode serveStream}.
 * @throws {TypeError} When `cert` holds no PEM certificate, `key` no PEM private key, or
 * `clientCa` (when given) no PEM certificate.
 * @throws {Error} When a certificate or the key cannot be parsed, or the key is not the
 * private key of the (first) certificate in `cert`.
 * @example Unusable certificates are refused at once, not at each client's handshake
 * ```ts
 * import { tlsServerLayer } from "@socketkit/socketkit";
 * import { throws as assertThrows } from "node:assert/strict";
 *
 * assertThrows(() => tlsServerLayer({ cert: "nope", key: "nope" }), {
 *   name: "TypeError",
 *   message: 'Invalid cert "nope": no PEM certificate in it',
 * });
 * ```
 */
export function tlsServerLayer(config: TlsServerConfig): StreamLayer {
  const chain = certificates("cert", config.cert);
  const key = privateKey(config.key);
  if (!chain[0]!.checkPrivateKey(key)) {
    throw new Error(
      `Invalid key: not the private key of the certificate ${JSON.stringify(chain[0]!.subject)}`,
    );
  }
  const cas = config.clientCa === undefined ? undefined : certificates("clientCa", config.clientCa);
  let context: SecureContext;
  try {
    context = createSecureContext({
      cert: config.cert,
      key: config.key,
      ...(config.clientCa ? { ca: config.clientCa } : {}),
    });
  } catch (err) {
    throw new Error(`Invalid TLS certificate or key: ${describeCause(err)}`);
  }
  const setup = { context, cas, alpn: config.alpn };
  return { handshake: true, open: (conn) => openTls(conn, setup) };
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;
const PEM_KEY = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[^-]+-----END \1PRIVATE KEY-----/;

/** A short, quoted piece of PEM text for a message (certificates only: they are public). */
function excerpt(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}

/** Every certificate in the PEM text of option `name`; at least one. */
function certificates(name: string, pem: string): X509Certificate[] {
  const blocks = typeof pem === "string" ? pem.match(PEM_CERT) ?? [] : [];
  if (blocks.length === 0) {
    throw new TypeError(`Invalid ${name} ${excerpt(String(pem))}: no PEM certificate in it`);
  }
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw new Error(
        `Invalid ${name}: certificate ${i + 1} cannot be parsed: ${describeCause(err)}`,
      );
    }
  });
}

/** The private key in the PEM text of `key` (never quoted in a message: it is secret). */
function privateKey(pem: string): KeyObject {
  const block = typeof pem === "string" ? PEM_KEY.exec(pem)?.[0] : undefined;
  if (block === undefined) throw new TypeError("Invalid key: no PEM private key in it");
  try {
    return createPrivateKey(block);
  } catch (err) {
    throw new Error(`Invalid key: it cannot be read: ${describeCause(err)}`);
  }
}
