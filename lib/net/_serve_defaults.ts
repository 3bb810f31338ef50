/**
 * The stream server's default limits, in a module of their own so that the tools' flag
 * tables can show them without loading the server.
 *
 * @module
 */

/**
 * The default of each limit in `serveStream`'s limits, written once: `serveStream` applies
 * them and the server tool's flags show them.
 *
 * @example The defaults
 * ```ts
 * import { SERVE_DEFAULTS } from "./_serve_defaults.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals([SERVE_DEFAULTS.maxConnections, SERVE_DEFAULTS.maxHandshakesPerAddress], [1024, 64]);
 * ```
 */
export const SERVE_DEFAULTS = {
  maxConnections: 1024,
  writeTimeout: 10_000,
  lingerTimeout: 0,
  drainTimeout: 5_000,
  idleTimeout: 60_000,
  handshakeTimeout: 10_000,
  maxHandshakesPerAddress: 64,
} as const;
