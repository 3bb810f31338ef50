/**
 * The TLS client's failures, told apart by flags (untrusted, timeout, alert), never by their
 * text, and described in rustls's words with what the certificate says (its dates).
 *
 * @module
 */
import type { PeerCertificate } from "node:tls";
import type { TlsClientOptions } from "./_tls_client.ts";

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
  return Number.isNaN(t) ? text : new Date(t).toISOString().replace(".000Z", "Z");
}

/**
 * The failure in rustls's words, as Deno reports it (`UnknownIssuer`), with the dates of a
 * certificate out of its validity, and what an alert or a silent hang-up likely meant.
 *
 * @param err The error node:tls gave.
 * @param options The handshake's options (the name and the ALPN protocols asked for).
 * @param cert The server's certificate, when the handshake got that far.
 * @returns The error to report.
 */
export function describeTlsFailure(
  err: unknown,
  options: TlsClientOptions,
  cert: PeerCertificate | undefined,
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
      `certificate is not valid for ${JSON.stringify(options.servername)} (NotValidForName)`,
      { untrusted: true, ...cause },
    );
  }
  const alert = alertOf(err);
  if (alert === "NoApplicationProtocol") {
    return new TlsError(
      `the server accepts none of the ALPN protocols offered (${
        (options.alpn ?? []).join(",")
      }): alert NoApplicationProtocol`,
      { alert, ...cause },
    );
  }
  if (alert !== undefined) {
    return new TlsError(`handshake failed: the server sent alert ${alert}`, { alert, ...cause });
  }
  if (code.startsWith("CERT_") || /certificate/i.test(message)) {
    return new TlsError(`certificate is not trusted (${code || message})`, {
      untrusted: true,
      ...cause,
    });
  }
  // The server hung up mid-handshake without a word: say what it may have refused.
  const guess = options.alpn
    ? `: it may accept none of the ALPN protocols offered (${options.alpn.join(",")})`
    : "";
  return new TlsError(`the server closed the connection during the handshake${guess}`, cause);
}
