/**
 * The tools' defaults, each written once: the option tables of `cmd/` show and apply them,
 * and `lib/tools` falls back to them when a caller leaves an option out. Durations are in
 * milliseconds.
 *
 * @example The tables and the tools agree
 * ```ts
 * import { DEFAULT_STREAM_PORT } from "./defaults.ts";
 * import { info } from "@socketkit/socketkit/server";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(info.help.includes(`(default ${DEFAULT_STREAM_PORT})`), true);
 * ```
 *
 * @module
 */

import { SERVE_DEFAULTS } from "../net/_serve_defaults.ts";

/** The stream tools' port (server, client), as in the guide. */
export const DEFAULT_STREAM_PORT = 3490;
/** The datagram tools' port (listener, talker), as in the guide. */
export const DEFAULT_DATAGRAM_PORT = 4950;
/** What the server sends each client, as the original. */
export const DEFAULT_MESSAGE = "Hello, world!";

/** The client's one deadline for all connection attempts. */
export const DEFAULT_CONNECT_TIMEOUT = 10_000;
/** The time the client gives the server to send everything and close. */
export const DEFAULT_READ_TIMEOUT = 10_000;
/** The most the client reads and prints (not with `--raw` when it sends). */
export const DEFAULT_MAX_BYTES = 65536;

/** Clients the server serves at once (0 is no limit). */
export const DEFAULT_MAX_CONNECTIONS = SERVE_DEFAULTS.maxConnections;
/** The time a client has to take the server's message (each echoed chunk). */
export const DEFAULT_WRITE_TIMEOUT = SERVE_DEFAULTS.writeTimeout;
/** On Ctrl-C or SIGTERM, the time the server gives clients in flight. */
export const DEFAULT_DRAIN_TIMEOUT = SERVE_DEFAULTS.drainTimeout;
/** With `--echo`, the time a client may neither send nor close. */
export const DEFAULT_IDLE_TIMEOUT = SERVE_DEFAULTS.idleTimeout;
/** The time a client has to finish the TLS handshake. */
export const DEFAULT_HANDSHAKE_TIMEOUT = SERVE_DEFAULTS.handshakeTimeout;
/** Clients from one address in their TLS handshake at once (0 is no limit). */
export const DEFAULT_MAX_HANDSHAKES_PER_ADDRESS = SERVE_DEFAULTS.maxHandshakesPerAddress;
/** The server's accept threads. */
export const DEFAULT_WORKERS = 1;

/** Datagrams the listener waits for, as the original (one). */
export const DEFAULT_LISTENER_COUNT = 1;
/** Times the talker sends its message (each line). */
export const DEFAULT_TALKER_COUNT = 1;
/** The talker's ping: the time between two requests, as `ping` (other sends go at once). */
export const DEFAULT_PING_INTERVAL = 1_000;

/** The number of sessions a server or listener draws (`--diagram-limit`). */
export const DIAGRAM_LIMIT_DEFAULT = 10;
