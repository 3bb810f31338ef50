/**
 * Our own check of a client certificate for mutual TLS, as OpenSSL's `-Verify` makes it:
 * since Deno 2.9's `node:tls` over a wrapped stream neither rejects nor flags (`authorized`)
 * a certificate from an unknown CA, every rule is checked here.
 *
 * @module
 */
import { X509Certificate } from "node:crypto";

/** The DER of the extension OIDs (2.5.29.15 keyUsage, 2.5.29.37 extKeyUsage). */
const KEY_USAGE = "551d0f";
const EXT_KEY_USAGE = "551d25";
/** 1.3.6.1.5.5.7.3.2, id-kp-clientAuth. */
const CLIENT_AUTH = "2b06010505070302";

/** One DER element: its tag and where its content is. */
interface Tlv {
  tag: number;
  start: number;
  end: number;
}

function tlv(der: Uint8Array, at: number): Tlv {
  const tag = der[at]!;
  let len = der[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const bytes = len & 0x7f;
    if (bytes < 1 || bytes > 4) throw new Error("bad DER length");
    len = 0;
    for (let i = 0; i < bytes; i++) len = len * 256 + der[start + i]!;
    start += bytes;
  }
  if (start + len > der.length) throw new Error("truncated DER");
  return { tag, start, end: start + len };
}

function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end;) {
    const t = tlv(der, at);
    out.push(t);
    at = t.end;
  }
  return out;
}

const hex = (der: Uint8Array, t: Tlv) =>
  Array.from(der.subarray(t.start, t.end), (b) => b.toString(16).padStart(2, "0")).join("");

/** The certificate's extensions, by OID (hex of its DER), each value's DER. */
function extensions(der: Uint8Array): Map<string, Uint8Array> {
  const found = new Map<string, Uint8Array>();
  const tbs = children(der, tlv(der, 0))[0];
  if (tbs === undefined) return found;
  const wrapper = children(der, tbs).find((t) => t.tag === 0xa3);
  if (wrapper === undefined) return found;
  const list = children(der, wrapper)[0];
  if (list === undefined) return found;
  for (const ext of children(der, list)) {
    const parts = children(der, ext);
    const oid = parts[0];
    const value = parts[parts.length - 1];
    if (oid?.tag === 0x06 && value?.tag === 0x04) {
      found.set(hex(der, oid), der.subarray(value.start, value.end));
    }
  }
  return found;
}

/**
 * Why a client certificate is not accepted, or undefined when it is: it must be signed by one
 * of `cas` (directly: no intermediates), be within its dates, not be a CA, allow
 * digitalSignature when it has a key usage, and allow clientAuth when it has an extended
 * key usage.
 *
 * @param raw The certificate's DER, as the handshake received it.
 * @param cas The trusted CAs.
 * @param now The time to check the dates at, in ms since the epoch.
 * @returns The reason, to name in the handshake error.
 */
export function clientCertProblem(
  raw: Uint8Array | undefined,
  cas: X509Certificate[],
  now: number = Date.now(),
): string | undefined {
  if (raw === undefined || raw.length === 0) return "no client certificate";
  let cert: X509Certificate;
  let ext: Map<string, Uint8Array>;
  try {
    cert = new X509Certificate(raw);
    ext = extensions(raw);
  } catch {
    return "client certificate cannot be parsed";
  }
  if (!cas.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey))) {
    return "client certificate is not trusted";
  }
  if (now < Date.parse(cert.validFrom)) {
    return `client certificate is not valid before ${cert.validFrom}`;
  }
  if (now > Date.parse(cert.validTo)) return `client certificate expired ${cert.validTo}`;
  if (cert.ca) return "client certificate is a CA certificate (basicConstraints CA:TRUE)";
  const ku = ext.get(KEY_USAGE);
  // A BIT STRING: 03 len unused-bits first-byte...; digitalSignature is the first bit.
  if (ku !== undefined && (ku[0] !== 0x03 || ku.length < 4 || (ku[3]! & 0x80) === 0)) {
    return "client certificate's key usage lacks digitalSignature";
  }
  const eku = ext.get(EXT_KEY_USAGE);
  if (eku !== undefined) {
    const seq = tlv(eku, 0);
    const purposes = children(eku, seq).map((t) => hex(eku, t));
    if (!purposes.includes(CLIENT_AUTH)) {
      return "client certificate's extended key usage lacks clientAuth";
    }
  }
  return undefined;
}
