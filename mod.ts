/**
 * socketkit: the classic client/server programs of a network-programming guide, as a
 * library for scripts (`deno run --allow-net script.ts`). Resolve like `getaddrinfo`, dial
 * a host's addresses one after the other or racing them, serve streams (plain or TLS) with
 * your own handler that no client can stall, and talk over connected datagrams. Every failure is a {@linkcode NetError} that
 * names the operation and the address.
 *
 * The four tools are entry points of their own, each exporting its `info`, its
 * `parse…Args` and its `main`: `@socketkit/socketkit/server`, `/client`, `/listener` and
 * `/talker`.
 *
 * @example Fetch the greeting from a server, as the original client does
 * ```ts
 * import { Dialer, greeting, readAll, resolve, serveStream } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const stop = new AbortController();
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const serving = serveStream(listener, {
 *   handler: greeting(new TextEncoder().encode("Hello, world!")),
 *   signal: stop.signal,
 * });
 *
 * const candidates = await resolve("127.0.0.1", listener.addr.port);
 * using conn = await new Dialer({ timeout: 5000 }).dial(candidates);
 * const { bytes, end } = await readAll(conn, { timeout: 5000 });
 * assertEquals([new TextDecoder().decode(bytes), end], ["Hello, world!", "eof"]);
 *
 * stop.abort();
 * assertEquals((await serving).served, 1);
 * ```
 *
 * @module
 */
export { AccessList, AccessSpecError } from "./lib/net/access_list.ts";
export { type IPFamily, joinHostPort, splitHostPort } from "./lib/net/address.ts";
export { bindFirst, type BindFirstOptions } from "./lib/net/bind_first.ts";
export {
  connectDatagram,
  type ConnectDatagramOptions,
  ConnectedDatagram,
  type DatagramPeer,
  type ReceiveOptions,
} from "./lib/net/connected_datagram.ts";
export { Dialer, type DialerOptions, type DialOptions } from "./lib/net/dial.ts";
export { dial, type DialHostOptions } from "./lib/net/dial_host.ts";
export {
  NetError,
  type NetErrorOptions,
  type NetOp,
  type Network,
  ResolveError,
} from "./lib/net/errors.ts";
export { escapeBytes } from "./lib/net/escape.ts";
export { readAll } from "./lib/net/read_all.ts";
export {
  type ReadAllOptions,
  type ReadAllResult,
  type ReadOptions,
  type ReadUntilOptions,
  StreamReader,
  type StreamSource,
} from "./lib/net/reader.ts";
export { type Candidate, type Family, resolve, type ResolveOptions } from "./lib/net/resolve.ts";
export {
  type ServeLimits,
  type ServeStats,
  serveStream,
  type ServeStreamOptions,
} from "./lib/net/serve_stream.ts";
export { type StreamConn, type StreamHandler, type TlsInfo } from "./lib/net/stream_conn.ts";
export { echo, type EchoOptions, greeting } from "./lib/net/stream_handlers.ts";
export { type LayerConn, type StreamLayer } from "./lib/net/stream_layer.ts";
export { type TlsServerConfig, tlsServerLayer } from "./lib/net/tls_server.ts";
export {
  type OnStep,
  type Step,
  type StepAddress,
  type StepCall,
  type StepNote,
  type StepReason,
} from "./lib/net/steps.ts";
export {
  type PingResult,
  type PingStats,
  udpPing,
  type UdpPingOptions,
} from "./lib/net/udp_ping.ts";
export { hexDump } from "./lib/net/hex_dump.ts";
export {
  type Datagram,
  type DatagramHandler,
  type DatagramServer,
  type DatagramStats,
  type NotReplied,
  serveDatagram,
  type ServeDatagramOptions,
} from "./lib/net/serve_datagram.ts";
export { type EchoGuardOptions, type EchoRefusal } from "./lib/net/echo_guard.ts";
export { GrantError } from "./lib/net/grant_error.ts";
