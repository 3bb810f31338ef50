/**
 * socketkit: the classic client/server programs of a network-programming guide, as a
 * library for scripts. Resolve like `getaddrinfo`, try each address like the original
 * client, serve streams that no client can stall, and talk over connected datagrams.
 *
 * @example Fetch the greeting from a socketkit server
 * ```ts ignore
 * import { connectFirst, readAll, resolve } from "./mod.ts";
 * const candidates = await resolve("localhost", 3490);
 * using conn = await connectFirst(candidates, { timeout: 5000 });
 * const { bytes } = await readAll(conn, { timeout: 5000 });
 * console.log(new TextDecoder().decode(bytes)); // Hello, world!
 * ```
 *
 * @module
 */
export * from "./lib/net/address.ts";
export * from "./lib/net/bind_first.ts";
export * from "./lib/tools/client.ts";
export * from "./lib/net/connect_first.ts";
export * from "./lib/net/connected_datagram.ts";
export * from "./lib/net/datagram_limit.ts";
export * from "./lib/net/dial.ts";
export * from "./lib/net/errors.ts";
export * from "./lib/net/escape.ts";
export * from "./lib/cli/exit_codes.ts";
export * from "./lib/tools/listener.ts";
export * from "./lib/cli/output.ts";
export * from "./lib/cli/port.ts";
export * from "./lib/net/read_all.ts";
export * from "./lib/net/resolve.ts";
export * from "./lib/net/serve_stream.ts";
export * from "./lib/tools/server.ts";
export * from "./lib/tools/talker.ts";
