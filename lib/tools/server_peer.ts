/**
 * How the server shows a client: its address as the original prints it, and what its TLS
 * handshake settled, escaped (certificate fields and ALPN are peer input). Shared by the main
 * thread and the accept threads.
 *
 * @module
 */
import { fromV4Mapped } from "../net/address.ts";
import { escapeText } from "../net/escape.ts";
import { showUnixPath } from "../net/unix_address.ts";
import type { TlsInfo } from "../net/stream_conn.ts";

export { type AccessRules, admission, isIPv6Peer } from "../net/_admission.ts";

/**
 * A client's address as the original server prints it: an IPv4 client of the dual-stack
 * socket as `127.0.0.1`, not `::ffff:127.0.0.1`; a Unix peer as its path.
 *
 * @param remote The client's address.
 * @returns The address to print.
 * @example An IPv4 client of the dual-stack socket
 * ```ts
 * import { shown } from "./server_peer.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals(shown({ transport: "tcp", hostname: "::ffff:127.0.0.1", port: 1 }), "127.0.0.1");
 * ```
 */
export function shown(remote: Deno.Addr): string {
  if (remote.transport === "tcp" || remote.transport === "udp") {
    return fromV4Mapped(remote.hostname) ?? remote.hostname;
  }
  return showUnixPath("path" in remote ? remote.path : null);
}

/**
 * What a TLS handshake settled, for the connection line: `TLSv1.3, ALPN h2, client CN=alice`,
 * with the ALPN protocol and the subject escaped.
 *
 * @param tls What the handshake settled.
 * @returns The description, empty without TLS.
 * @example A hostile subject is shown, not run
 * ```ts
 * import { describeTls } from "./server_peer.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const tls = { version: "TLSv1.3", alpn: "h2", peerSubject: "CN=a\nserver: fake" };
 * assertEquals(describeTls(tls), "TLSv1.3, ALPN h2, client CN=a\\nserver: fake");
 * ```
 */
export function describeTls(tls: TlsInfo | undefined): string {
  if (tls === undefined) return "";
  return [
    tls.version ?? "TLS",
    tls.alpn ? `ALPN ${escapeText(tls.alpn)}` : "",
    tls.peerSubject ? `client ${escapeText(tls.peerSubject)}` : "",
  ].filter((part) => part !== "").join(", ");
}
