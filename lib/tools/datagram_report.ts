/**
 * The listener's byte formatter: one datagram's lines, as the original prints them, written
 * straight into the output buffer as bytes, with the payload escaped.
 *
 * @module
 */
import type { Output } from "../cli/output.ts";
import { escapeBytes, escapeInto, maxEscapedLength } from "../net/escape.ts";
import { hexDump } from "../net/hex_dump.ts";

/** What {@linkcode DatagramReport} shows of each datagram. */
export interface ReportOptions {
  /** Show at most this many bytes, saying when a datagram was cut. */
  maxSize?: number | undefined;
  /** Write the payload's exact bytes to stdout, the status lines to stderr. */
  raw?: boolean | undefined;
  /** With `raw`: the payload only, no status lines. */
  quiet?: boolean | undefined;
  /** The lines' prefix (the tool's name, coloured on a terminal). @default {out.name} */
  name?: string | undefined;
  /** Each datagram as a hex dump instead of the escaped `packet contains` line. */
  hex?: boolean | undefined;
  /** With `raw`, written after each datagram's bytes. */
  delimiter?: Uint8Array | undefined;
}

/**
 * Formats one datagram's lines straight into the output buffer, as bytes: the listener's
 * hot path under a flood, with no string built per datagram but the sender's address.
 * With `raw`, writes the bytes as they are (and the status lines unless `quiet`).
 */
export class DatagramReport {
  #out: Output;
  #maxSize: number | undefined;
  #raw: boolean;
  #quiet: boolean;
  #hex: boolean;
  #delimiter: Uint8Array | undefined;
  #from: Uint8Array;
  #length: Uint8Array;
  #contains: Uint8Array;
  #end = new TextEncoder().encode(`"\n`);
  #host = "";
  #hostBytes = new Uint8Array(0);
  #name: string;

  constructor(out: Output, options: ReportOptions) {
    const enc = new TextEncoder();
    this.#out = out;
    this.#maxSize = options.maxSize;
    this.#raw = options.raw ?? false;
    this.#quiet = options.quiet ?? false;
    this.#hex = options.hex ?? false;
    this.#delimiter = options.delimiter;
    const name = this.#name = options.name ?? out.name;
    this.#from = enc.encode(`${name}: got packet from `);
    this.#length = enc.encode(`\n${name}: packet is `);
    this.#contains = enc.encode(` bytes long\n${name}: packet contains "`);
  }

  write(data: Uint8Array, from: Deno.NetAddr): void {
    const cut = this.#maxSize !== undefined && data.length > this.#maxSize;
    const shown = cut ? data.subarray(0, this.#maxSize) : data;
    if (this.#raw || cut || this.#hex) return this.#slow(data, shown, from, cut);
    if (from.hostname !== this.#host) {
      this.#host = from.hostname;
      this.#hostBytes = new TextEncoder().encode(from.hostname);
    }
    const need = 160 + this.#hostBytes.length + maxEscapedLength(shown.length);
    if (need > 65536) return this.#slow(data, shown, from, cut);
    const offset = this.#out.reserve(need);
    const buffer = this.#out.buffer;
    let off = put(buffer, offset, this.#from);
    off = put(buffer, off, this.#hostBytes);
    off = put(buffer, off, this.#length);
    off = putDecimal(buffer, off, data.length);
    off = put(buffer, off, this.#contains);
    off = escapeInto(shown, buffer, off);
    off = put(buffer, off, this.#end);
    this.#out.commit(off);
  }

  /** The datagram's bytes, then the delimiter if one was asked for: one record, kept or dropped whole. */
  #rawData(bytes: Uint8Array): void {
    const d = this.#delimiter;
    if (d === undefined) return this.#out.data(bytes);
    const record = new Uint8Array(bytes.length + d.length);
    record.set(bytes);
    record.set(d, bytes.length);
    this.#out.data(record);
  }

  #slow(data: Uint8Array, shown: Uint8Array, from: Deno.NetAddr, cut: boolean): void {
    if (this.#quiet) return this.#rawData(shown); // --raw -q: the bytes, no status lines
    const name = this.#name;
    let lines = `${name}: got packet from ${from.hostname}\n` +
      `${name}: packet is ${data.length} bytes long\n`;
    if (cut) lines += `${name}: packet was cut to ${this.#maxSize} bytes (--max-size)\n`;
    if (this.#raw) {
      this.#out.status(lines);
      this.#rawData(shown);
    } else if (this.#hex) {
      this.#out.text(lines + hexDump(shown));
    } else {
      this.#out.text(`${lines}${name}: packet contains "${escapeBytes(shown)}"\n`);
    }
  }
}

function put(dst: Uint8Array, off: number, src: Uint8Array): number {
  dst.set(src, off);
  return off + src.length;
}

function putDecimal(dst: Uint8Array, off: number, n: number): number {
  if (n >= 10) off = putDecimal(dst, off, Math.floor(n / 10));
  dst[off] = 0x30 + (n % 10);
  return off + 1;
}
