/**
 * socketkit's Unix domain sockets: stream and datagram sockets on a path, or on a Linux
 * abstract name (`@name`), served and dialed as the TCP and UDP ones in `mod.ts` are: a
 * {@linkcode UnixListener} is a `Deno.Listener` that `serveStream` serves unchanged, and
 * a {@linkcode UnixDatagramSocket} a `Deno.DatagramConn` for `serveDatagram` and
 * `connectDatagram`.
 *
 * Grants: a path needs `--allow-read` and `--allow-write` on it besides `--allow-net`, to
 * listen and to connect (sending a datagram needs `--allow-write`); granting a listener
 * the path's directory instead lets it leave alone, at close, a file someone else put at
 * the path (see {@linkcode listenUnix}). Unix datagram sockets also need `--unstable-net`.
 * A missing grant is a `GrantError` naming every flag to add, quoted for the shell.
 *
 * @example Serve the greeting on a path and read it back
 * ```ts
 * import { greeting, readAll, serveStream } from "@socketkit/socketkit";
 * import { dialUnix, listenUnix } from "@socketkit/socketkit/unix";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const path = Deno.makeTempDirSync() + "/hello.sock";
 * const stop = new AbortController();
 * const serving = serveStream(await listenUnix(path), {
 *   handler: greeting(new TextEncoder().encode("Hello, world!")),
 *   signal: stop.signal,
 * });
 * using conn = await dialUnix(path, { timeout: 1000 });
 * const { bytes } = await readAll(conn, { timeout: 1000 });
 * assertEquals(new TextDecoder().decode(bytes), "Hello, world!");
 * stop.abort();
 * assertEquals((await serving).served, 1);
 * ```
 *
 * @module
 */
export {
  parseUnixAddress,
  sameUnixAddr,
  showUnixPath,
  SUN_PATH_MAX,
  type UnixAddress,
} from "./lib/net/unix_address.ts";
export {
  missingUnixGrants,
  shellQuote,
  type UnixAccess,
  unixOpError,
} from "./lib/net/unix_grants.ts";
export { listenUnix, type ListenUnixOptions, UnixListener } from "./lib/net/unix_listen.ts";
export { dialUnix, type DialUnixOptions } from "./lib/net/unix_dial.ts";
export {
  bindTemporaryUnixDatagram,
  listenUnixDatagram,
  type ListenUnixDatagramOptions,
  UnixDatagramSocket,
} from "./lib/net/unix_datagram.ts";
