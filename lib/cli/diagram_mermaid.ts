/**
 * A {@linkcode Diagram} as a Mermaid `sequenceDiagram` (a `.mmd` file: it renders on GitHub
 * and in most documentation tools).
 *
 * No text can change the diagram's syntax: every character of a name or label other than
 * letters, digits, space and `.,()[]_+*'/=!?@` is written as Mermaid's entity `#code;`, so a
 * peer's bytes cannot start a directive (`%%{init}`), an arrow or a statement (`;`, `:`), a
 * line, an entity of their own (`#…;`) or HTML (`<script>`). Mermaid shows each entity as the
 * character it stands for.
 *
 * @module
 */
import type { Diagram } from "./diagram_model.ts";

/** The most characters of source written: Mermaid refuses more than 50,000 by default. */
const MAX_SOURCE = 45_000;

/** Characters written as they are; every other is an entity. */
const PLAIN = /^[A-Za-z0-9 .,()[\]_+*'/=!?@]$/;

/**
 * Text made inert for Mermaid: every character outside a small safe set as `#code;`.
 *
 * @param text Plain text (a name or a label).
 * @returns The text as Mermaid source.
 * @example
 * ```ts
 * import { mermaidText } from "./diagram_mermaid.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(mermaidText("a;b->>c %%{init}"), "a#59;b#45;#62;#62;c #37;#37;#123;init#125;");
 * ```
 */
export function mermaidText(text: string): string {
  let out = "";
  for (const ch of text) out += PLAIN.test(ch) ? ch : `#${ch.codePointAt(0)};`;
  return out;
}

/**
 * The time on an arrow: `+12.3ms`.
 *
 * @param ms Milliseconds since start.
 * @returns The text.
 * @example
 * ```ts
 * import { arrowTime } from "./diagram_mermaid.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(arrowTime(12.34), "+12.3ms");
 * ```
 */
export function arrowTime(ms: number): string {
  return `+${ms.toFixed(1)}ms`;
}

/**
 * The diagram as Mermaid source: participants `p0` (this tool), `p1`… with their names as
 * aliases; a solid arrow for a call, a dashed one for what came from a peer, a cross (`-x`)
 * for a failure; notes over a participant. At most 45,000 characters (Mermaid renders no more
 * than 50,000): a note then says how many items were left out.
 *
 * @param diagram The diagram.
 * @returns The `.mmd` file's text.
 * @example
 * ```ts
 * import { toMermaid } from "./diagram_mermaid.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const text = toMermaid({
 *   participants: ["client", "127.0.0.1:3490"],
 *   items: [{ kind: "arrow", from: 0, to: 1, text: "connect()", ms: 1, failed: false }],
 * });
 * assertEquals(text, [
 *   "sequenceDiagram",
 *   "    participant p0 as client",
 *   "    participant p1 as 127.0.0.1#58;3490",
 *   "    p0->>p1: +1.0ms connect()",
 *   "",
 * ].join("\n"));
 * ```
 */
export function toMermaid(diagram: Diagram): string {
  const lines = ["sequenceDiagram"];
  diagram.participants.forEach((name, i) => {
    lines.push(`    participant p${i} as ${mermaidText(name)}`);
  });
  let size = lines.reduce((n, line) => n + line.length + 1, 0);
  for (const [i, item] of diagram.items.entries()) {
    let line: string;
    if (item.kind === "note") line = `    Note over p${item.over}: ${mermaidText(item.text)}`;
    else {
      const arrow = item.failed ? "-x" : item.from === 0 ? "->>" : "-->>";
      const text = `${arrowTime(item.ms)} ${item.text}`;
      line = `    p${item.from}${arrow}p${item.to}: ${mermaidText(text)}`;
    }
    if (size + line.length + 1 > MAX_SOURCE) {
      const left = diagram.items.length - i;
      lines.push(`    Note over p0: ${left} more items not drawn (Mermaid's size limit)`);
      break;
    }
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join("\n")}\n`;
}
