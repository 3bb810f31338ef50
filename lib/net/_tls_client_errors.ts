/**
 * The TLS client's failures, told apart by flags (untrusted, timeout, alert), never by their
 * text, and described in rustls's words with what the certificate says (its dates).
 *
 * Every message is safe to print as it is: what came from outside (the name asked for,
 * node:tls's words, which may quote the certificate, the bytes of a server that does not
 * speak TLS) is escaped here, once, where the message is made.
 *
 * @module
 */
import type { PeerCertificate } from "node:tls";
import type { TlsClientOptions } from "./_tls_client.ts";
import { escapeBytes, escapeText } from "./escape.ts";

/** Options for {@linkcode TlsError}. */
export interface TlsErrorOptions extends ErrorOptions {
  /**
   * The server's certificate failed verification (rather than the exchange).
   * @default {false}
   */
  untrusted?: boolean | undefined;
  /**
   * The handshake ran out of time.
   * @default {false}
   */
  timeout?: boolean | undefined;
  /**
   * The alert the server sent, in rustls's words (`CertificateRequired`).
   * @default {undefined}
   */
  alert?: string | undefined;
}

/** The handshake failed, or the server sent an alert. */
export class TlsError extends Error {
  /** Whether the server's certificate failed verification (rather than the exchange). */
  readonly untrusted: boolean;
  /** Whether the handshake's deadline passed, as `NetError.timeout` says. */
  readonly timeout: boolean;
  /** The alert the server sent (`CertificateRequired`, `NoApplicationProtocol`), if any. */
  readonly alert: string | undefined;
  /**
   * Makes the error; the flags say what kind of failure it is, so callers never match text.
   *
   * @param message What failed, and why.
   * @param options The kind of failure and the underlying error.
   */
  constructor(message: string, options: TlsErrorOptions = {}) {
    super(message, options);
    this.name = "TlsError";
    this.untrusted = options.untrusted ?? false;
    this.timeout = options.timeout ?? false;
    this.alert = options.alert;
  }
}

const UNKNOWN_ISSUER = [
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
];

/** node:tls's codes for a first record that is not TLS (an HTTP reply, a greeting). */
const NOT_TLS_CODES = [
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "ERR_SSL_PACKET_LENGTH_TOO_LONG",
  "ERR_SSL_HTTP_REQUEST",
  "ERR_SSL_UNKNOWN_PROTOCOL",
  "ERR_SSL_RECORD_LENGTH_MISMATCH",
];
const NOT_TLS_WORDS =
  /wrong version number|packet length too long|InvalidContentType|http request/i;

/** How many of a non-TLS server's first bytes a message shows. */
const SHOWN_BYTES = 32;

/**
 * Whether `first` starts as a TLS record does: a content type (20 to 24), then major
 * version 3.
 */
function looksLikeTls(first: Uint8Array): boolean {
  return first[0]! >= 20 && first[0]! <= 24 && (first.length < 2 || first[1] === 3);
}

/** `"name"`, escaped as a quoted field is (quotes and controls as `\"`, `\xHH`). */
function quoted(text: string): string {
  return `"${escapeBytes(new TextEncoder().encode(text))}"`;
}

/**
 * The alert in `received fatal alert: CertificateRequired`, if the error is one.
 *
 * @param err The error node:tls gave.
 * @returns The alert's name, or undefined.
 */
export function alertOf(err: unknown): string | undefined {
  const message = err instanceof Error ? err.message : String(err);
  return /alert: ?([A-Za-z]+)/.exec(message)?.[1];
}

/** An ISO date of a certificate's `valid_from`/`valid_to` (`Jan  2 00:00:00 2020 GMT`). */
function isoDate(text: string): string {
  const t = Date.parse(text);
  return Number.isNaN(t) ? escapeText(text) : new Date(t).toISOString().replace(".000Z", "Z");
}

/**
 * The failure in rustls's words, as Deno reports it (`UnknownIssuer`), with the dates of a
 * certificate out of its validity, and what an alert or a silent hang-up likely meant.
 *
 * @param err The error node:tls gave.
 * @param options The handshake's options (the name and the ALPN protocols asked for).
 * @param cert The server's certificate, when the handshake got that far.
 * @param first The first bytes the server sent (what a server that is not TLS said).
 * @returns The error to report, its message escaped.
 */
export function describeTlsFailure(
  err: unknown,
  options: TlsClientOptions,
  cert: PeerCertificate | undefined,
  first: Uint8Array = new Uint8Array(0),
): TlsError {
  const code = (err as { code?: string }).code ?? "";
  const message = err instanceof Error ? err.message : String(err);
  const cause = { cause: err };
  const now = Date.now();
  if (cert?.valid_to && Date.parse(cert.valid_to) < now) {
    return new TlsError(
      `certificate has expired: valid from ${isoDate(cert.valid_from)} until ${
        isoDate(cert.valid_to)
      } (Expired)`,
      { untrusted: true, ...cause },
    );
  }
  if (cert?.valid_from && Date.parse(cert.valid_from) > now) {
    return new TlsError(
      `certificate is not valid yet: valid from ${isoDate(cert.valid_from)} until ${
        isoDate(cert.valid_to)
      } (NotValidYet)`,
      { untrusted: true, ...cause },
    );
  }
  if (UNKNOWN_ISSUER.includes(code) || /UnknownIssuer/.test(message)) {
    return new TlsError("certificate is not trusted (UnknownIssuer)", {
      untrusted: true,
      ...cause,
    });
  }
  if (code === "CERT_HAS_EXPIRED" || /Expired/.test(message)) {
    return new TlsError("certificate has expired (Expired)", { untrusted: true, ...cause });
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID" || /NotValidForName/.test(message)) {
    return new TlsError(
      `certificate is not valid for ${quoted(options.servername)} (NotValidForName)`,
      { untrusted: true, ...cause },
    );
  }
  const alert = alertOf(err);
  if (alert === "NoApplicationProtocol") {
    return new TlsError(
      `the server accepts none of the ALPN protocols offered (${
        escapeText((options.alpn ?? []).join(","))
      }): alert NoApplicationProtocol`,
      { alert, ...cause },
    );
  }
  if (alert !== undefined) {
    return new TlsError(`handshake failed: the server sent alert ${alert}`, { alert, ...cause });
  }
  // When the server's first bytes came, they decide (a TLS record of a version node:tls
  // refuses is still TLS); else node:tls's words do.
  const notTls = first.length > 0
    ? !looksLikeTls(first)
    : NOT_TLS_CODES.includes(code) || NOT_TLS_WORDS.test(message);
  if (notTls) {
    // An HTTP server's 400, a plain greeting: show what it said, bounded.
    const said = first.length === 0
      ? ""
      : `: it sent '${escapeBytes(first.subarray(0, SHOWN_BYTES))}${
        first.length > SHOWN_BYTES ? "…" : ""
      }'`;
    return new TlsError(`the server did not speak TLS${said}`, cause);
  }
  if (code.startsWith("CERT_") || /certificate/i.test(message)) {
    return new TlsError(`certificate is not trusted (${escapeText(code || message)})`, {
      untrusted: true,
      ...cause,
    });
  }
  // The server hung up mid-handshake without a word: say what it may have refused.
  const guess = options.alpn
    ? `: it may accept none of the ALPN protocols offered (${escapeText(options.alpn.join(","))})`
    : "";
  return new TlsError(`the server closed the connection during the handshake${guess}`, cause);
}
