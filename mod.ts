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
export * from "./lib/address.ts";
export * from "./lib/bind_first.ts";
export * from "./lib/client.ts";
export * from "./lib/connect_first.ts";
export * from "./lib/connected_datagram.ts";
export * from "./lib/datagram_limit.ts";
export * from "./lib/dial.ts";
export * from "./lib/errors.ts";
export * from "./lib/escape.ts";
export * from "./lib/exit_codes.ts";
export * from "./lib/listener.ts";
export * from "./lib/output.ts";
export * from "./lib/port.ts";
export * from "./lib/read_all.ts";
export * from "./lib/resolve.ts";
export * from "./lib/serve_stream.ts";
export * from "./lib/server.ts";
export * from "./lib/talker.ts";
