/**
 * The version line every tool prints for `--version`.
 *
 * @module
 */
import config from "../../deno.json" with { type: "json" };

/** socketkit's version, from deno.json. */
export const VERSION: string = config.version;

/**
 * The `--version` line: the tool, socketkit's version, the Deno it runs on and the target.
 *
 * @param tool The tool's name.
 * @returns One line, e.g. `server (socketkit 0.3.0) deno 2.9.6 x86_64-unknown-linux-gnu`.
 * @example The line names the tool, socketkit's version from deno.json, and the runtime
 * ```ts
 * import { VERSION, versionLine } from "./version.ts";
 * import config from "../../deno.json" with { type: "json" };
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals(VERSION, config.version);
 * const line = versionLine("server");
 * assertEquals(line.startsWith(`server (socketkit ${config.version}) deno `), true);
 * assertEquals(line.endsWith(` ${Deno.version.deno} ${Deno.build.target}`), true);
 * ```
 */
export function versionLine(tool: string): string {
  return `${tool} (socketkit ${VERSION}) deno ${Deno.version.deno} ${Deno.build.target}`;
}
