/**
 * Unix domain sockets, as scripts use them beside the IP ones of `@socketkit/socketkit`:
 * stream sockets (`listenUnix`, `dialUnix`), datagram sockets (`listenUnixDatagram`), and the
 * paths they live on (abstract names as `@name`). Needs `--allow-read` and `--allow-write`
 * on the path; datagram sockets also `--unstable-net`.
 *
 * @example Parse a path and show it
 * ```ts
 * import { parseUnixAddress, showUnixPath } from "@socketkit/socketkit/unix";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const addr = parseUnixAddress("@chat");
 * assertEquals([addr.path, addr.abstract, showUnixPath(addr.path)], ["\0chat", true, "@chat"]);
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
export { missingUnixGrants, type UnixAccess, unixOpError } from "./lib/net/unix_grants.ts";
export { listenUnix, type ListenUnixOptions, UnixListener } from "./lib/net/unix_listen.ts";
export { dialUnix, type DialUnixOptions } from "./lib/net/unix_dial.ts";
export {
  bindTemporaryUnixDatagram,
  listenUnixDatagram,
  type ListenUnixDatagramOptions,
  UnixDatagramSocket,
} from "./lib/net/unix_datagram.ts";
