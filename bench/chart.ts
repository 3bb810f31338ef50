// An SVG bar chart of a benchmark run: connections/s per server, datagrams/s per receiver.
import type { DgramRow, StreamRow } from "./_rows.ts";

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

function bars(title: string, items: [string, number][], y0: number, unit: string): string {
  const max = Math.max(1, ...items.map(([, v]) => v));
  let svg = `<text x="10" y="${y0}" font-weight="bold">${esc(title)}</text>`;
  items.forEach(([label, value], i) => {
    const y = y0 + 12 + i * 22;
    const w = Math.max(1, (value / max) * 420);
    svg += `<text x="10" y="${y + 14}">${esc(label)}</text>` +
      `<rect x="300" y="${y}" width="${w.toFixed(1)}" height="16" fill="#4a7ab5"/>` +
      `<text x="${(305 + w).toFixed(1)}" y="${y + 13}">${
        Math.round(value).toLocaleString("en-US")
      } ${unit}</text>`;
  });
  return svg;
}

/** The chart as an SVG document. */
export function chartSvg(stream: StreamRow[], dgram: DgramRow[]): string {
  const top = bars(
    "Stream server: connections/s at 64 clients",
    stream.map((r) => [r.name, r.connsPerSec]),
    24,
    "/s",
  );
  const y1 = 24 + 12 + stream.length * 22 + 30;
  const maxRate = Math.max(0, ...dgram.map((r) => r.offered));
  const at = dgram.filter((r) => r.offered === maxRate);
  const bottom = bars(
    `Datagrams received/s at ${maxRate.toLocaleString("en-US")}/s offered`,
    at.map((r) => [r.name, r.receivedPerSec]),
    y1,
    "/s",
  );
  const height = y1 + 12 + at.length * 22 + 20;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="${height}" font-family="sans-serif" font-size="12">` +
    `<rect width="100%" height="100%" fill="white"/>${top}${bottom}</svg>\n`;
}
