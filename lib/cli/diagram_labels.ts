/**
 * The labels of a diagram's arrows, as `--explain` words the calls, shorter: the call, what
 * crossed (its size and first bytes, escaped as everywhere), and what went wrong.
 *
 * @module
 */
import { escapeBytes, escapeText } from "../net/escape.ts";
import type { Step } from "../net/steps.ts";
import { errnoName } from "./errno.ts";
import { afName, errorText, showAddress } from "./explain.ts";

/**
 * Whether a step is drawn as a failure: an error, a refusal or an abandoned call, or a read
 * that timed out with nothing.
 *
 * @param step The step.
 * @returns Whether it failed.
 * @example
 * ```ts
 * import { failed } from "./diagram_labels.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(failed({ call: "recv", bytes: 0, end: "timeout" }), true);
 * assertEquals(failed({ call: "recv", bytes: 5, end: "eof" }), false);
 * ```
 */
export function failed(step: Step): boolean {
  if (step.reason === "next-send") return false;
  if (step.error !== undefined || step.reason !== undefined) return true;
  return step.end === "timeout" && (step.bytes ?? 0) === 0;
}

/**
 * What went wrong: `-> ECONNREFUSED`, `refused (--allow/--deny)`, `-> abandoned: deadline`.
 *
 * @param step The step.
 * @returns The outcome, or `undefined` when the call did what it does.
 * @example
 * ```ts
 * import { outcomeText } from "./diagram_labels.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const error = new Deno.errors.ConnectionRefused("Connection refused (os error 111)");
 * assertEquals(outcomeText({ call: "connect", error }), "-> ECONNREFUSED");
 * ```
 */
export function outcomeText(step: Step): string | undefined {
  if (step.error !== undefined) {
    const errno = errnoName(step.error);
    const why = bounded(errorText(step), 80);
    return `-> ${errno ?? "error"}${
      errno === undefined || step.call === "handshake" ? `: ${why}` : ""
    }`;
  }
  switch (step.reason) {
    case "refused":
      return "refused (--allow/--deny)";
    case "not-peer":
      return "dropped: not the peer";
    case "lost":
    case "deadline":
    case "cancelled":
      return `-> abandoned: ${step.reason}`;
    case "next-send":
      return "-> until the next send";
  }
  return undefined;
}

/**
 * The call as an arrow shows it: `connect()`, `send 13 bytes "Hello, world!"` (the payload's
 * first `preview` bytes, escaped, `…` when there was more), `shutdown(SHUT_WR) (FIN)`.
 *
 * @param step The step.
 * @param preview The most payload bytes shown.
 * @returns The label.
 * @example
 * ```ts
 * import { callLabel } from "./diagram_labels.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const data = new TextEncoder().encode("a\x1bb");
 * assertEquals(callLabel({ call: "send", bytes: 3, data }, 2), 'send 3 bytes "a\\x1b…"');
 * ```
 */
export function callLabel(step: Step, preview: number): string {
  switch (step.call) {
    case "getaddrinfo": {
      const host = step.query?.host === undefined
        ? "NULL"
        : `"${bounded(escapeText(step.query.host).replaceAll('"', '\\"'), 64)}"`;
      const found = step.found === undefined ? "" : ` -> [${escapeText(step.found.join(", "))}]`;
      return `getaddrinfo(${host})${found}`;
    }
    case "socket":
      return `socket(${afName(step.family)}, ${
        step.type === "dgram" ? "SOCK_DGRAM" : "SOCK_STREAM"
      })`;
    case "bind":
      return `bind(${step.address === undefined ? "" : showAddress(step.address)})`;
    case "connect":
      return step.type === "dgram" && step.address !== undefined
        ? `connect(${showAddress(step.address)}) (fixes the peer: no packet)`
        : "connect()";
    case "handshake":
      return "TLS handshake";
    case "shutdown":
      return "shutdown(SHUT_WR) (FIN)";
    case "close":
      return step.type === "dgram" || step.reason !== undefined ? "close()" : "close() (FIN)";
    case "send":
    case "sendto":
    case "recv":
    case "recvfrom": {
      if (step.bytes === undefined) return `${step.call}()`;
      let text = `${step.call} ${step.bytes} ${step.bytes === 1 ? "byte" : "bytes"}`;
      if (step.bytes === 0 && step.call === "recv" && step.end === undefined) {
        return `${text} (FIN)`;
      }
      if (step.data !== undefined && step.data.length > 0) {
        text += ` ${quoted(step.data, step.bytes, preview)}`;
      }
      if (step.end !== undefined) text += `, then ${step.end === "eof" ? "FIN" : step.end}`;
      return text;
    }
    default:
      return `${step.call}()`;
  }
}

/** A payload's first `preview` bytes, escaped and quoted; `…` when there was more. */
function quoted(data: Uint8Array, size: number, preview: number): string {
  const shown = escapeBytes(data.subarray(0, preview)).replaceAll('"', '\\"');
  return `"${shown}${size > preview ? "…" : ""}"`;
}

/** Escaped text (a name, an error message) shortened to `max` characters, `…` when longer. */
function bounded(text: string, max: number): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max).join("")}…` : text;
}
