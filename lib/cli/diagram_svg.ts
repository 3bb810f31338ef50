/**
 * A {@linkcode Diagram} as an SVG picture drawn by socketkit itself: no browser, network or
 * other tool is needed to make it.
 *
 * Every text is XML-escaped character data in a `<text>` or `<title>` element; no attribute
 * holds anything from a peer, and the picture has no script, no event attribute, no link and
 * no external reference.
 *
 * @module
 */
import type { Diagram, DiagramArrow, DiagramNote } from "./diagram_model.ts";
import { arrowTime } from "./diagram_mermaid.ts";

const FONT = "ui-monospace, Menlo, Consolas, 'DejaVu Sans Mono', monospace";
const CHAR = 7.3; // px per character at 12px monospace
const MARGIN = 20;
const HEAD = 36; // a participant's box height
const ROW = 34; // one arrow or note
const NAME_MAX = 40; // characters of a participant's name shown
const HALO = ` stroke="#ffffff" stroke-width="4" paint-order="stroke"`; // a label over a lifeline

/**
 * Text made safe as XML character data: `&`, `<`, `>`, `"` and `'` as entities, and any
 * character XML 1.0 does not allow as U+FFFD.
 *
 * @param text Plain text.
 * @returns The escaped text.
 * @example
 * ```ts
 * import { xmlText } from "./diagram_svg.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(xmlText(`<script>"a" & 'b'\u0000`), "&lt;script&gt;&quot;a&quot; &amp; &apos;b&apos;\ufffd");
 * ```
 */
export function xmlText(text: string): string {
  return text
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udfff]/gu, "\ufffd")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}

function shorten(text: string, max: number): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : text;
}

function labelOf(item: DiagramArrow | DiagramNote): string {
  return item.kind === "arrow" ? `${arrowTime(item.ms)} ${item.text}` : item.text;
}

/**
 * The diagram as an SVG document: a box per participant with its lifeline, then one row per
 * arrow (solid for a call, dashed for what came from a peer, red with a cross for a failure;
 * a loop for a call on this tool's own socket) or note.
 *
 * @param diagram The diagram.
 * @param title The picture's title (its `<title>`).
 * @returns The `.svg` file's text.
 * @example
 * ```ts
 * import { toSvg } from "./diagram_svg.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const svg = toSvg({
 *   participants: ["client", "127.0.0.1:3490"],
 *   items: [{ kind: "arrow", from: 1, to: 0, text: 'recv 2 bytes "<b>"', ms: 1, failed: false }],
 * }, "client");
 * assertEquals(svg.startsWith("<?xml"), true);
 * assertEquals(svg.includes("recv 2 bytes &quot;&lt;b&gt;&quot;"), true);
 * assertEquals(svg.includes("<b>"), false);
 * ```
 */
export function toSvg(diagram: Diagram, title: string): string {
  const n = diagram.participants.length;
  const longest = Math.max(0, ...diagram.items.map((i) => [...labelOf(i)].length));
  const column = Math.min(900, Math.max(200, Math.ceil(longest * CHAR) + 40));
  const x = (i: number) => MARGIN + column / 2 + i * column;
  const top = MARGIN + HEAD;
  const bottom = top + 20 + diagram.items.length * ROW;
  const width = MARGIN * 2 + n * column + (n === 1 ? column / 2 : 0);
  const height = bottom + MARGIN;
  const out: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="12">`,
    `<title>${xmlText(title)}</title>`,
    `<defs>`,
    `<marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker>`,
    `<marker id="cross" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="10" markerHeight="10" orient="auto"><path d="M1,1 L9,9 M9,1 L1,9" stroke="#c0392b" stroke-width="2"/></marker>`,
    `</defs>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
  ];
  diagram.participants.forEach((name, i) => {
    const boxWidth = column - 24;
    out.push(
      `<line x1="${x(i)}" y1="${top}" x2="${
        x(i)
      }" y2="${bottom}" stroke="#999" stroke-dasharray="4 4"/>`,
      `<rect x="${
        x(i) - boxWidth / 2
      }" y="${MARGIN}" width="${boxWidth}" height="${HEAD}" rx="4" fill="#eef3fb" stroke="#4a6fa5"/>`,
      `<text x="${x(i)}" y="${MARGIN + HEAD / 2 + 4}" text-anchor="middle" font-weight="bold">${
        xmlText(shorten(name, NAME_MAX))
      }</text>`,
    );
  });
  diagram.items.forEach((item, row) => {
    const y = top + 20 + row * ROW + ROW / 2;
    if (item.kind === "note") {
      const w = Math.min(column * n, Math.ceil([...item.text].length * CHAR) + 20);
      out.push(
        `<rect x="${x(item.over) - w / 2}" y="${
          y - 12
        }" width="${w}" height="22" fill="#fff8c4" stroke="#b8a200"/>`,
        `<text x="${x(item.over)}" y="${y + 3}" text-anchor="middle">${xmlText(item.text)}</text>`,
      );
      return;
    }
    const colour = item.failed ? "#c0392b" : "#333";
    const dash = item.from !== 0 && !item.failed ? ` stroke-dasharray="6 3"` : "";
    const marker = item.failed ? "cross" : "head";
    const label = xmlText(labelOf(item));
    if (item.from === item.to) {
      const x0 = x(item.from);
      out.push(
        `<path d="M${x0},${
          y - 4
        } h30 v12 h-30" fill="none" stroke="${colour}"${dash} marker-end="url(#${marker})"/>`,
        `<text x="${x0 + 36}" y="${y + 6}" fill="${colour}"${HALO}>${label}</text>`,
      );
      return;
    }
    const [x1, x2] = [x(item.from), x(item.to)];
    out.push(
      `<line x1="${x1}" y1="${y + 6}" x2="${x2}" y2="${
        y + 6
      }" stroke="${colour}"${dash} marker-end="url(#${marker})"/>`,
      `<text x="${
        (x1 + x2) / 2
      }" y="${y}" text-anchor="middle" fill="${colour}"${HALO}>${label}</text>`,
    );
  });
  out.push(`</svg>`);
  return `${out.join("\n")}\n`;
}
