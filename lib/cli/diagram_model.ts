/**
 * The `--diagram` view's model: the library's steps (the same ones `--explain` prints) turned
 * into a sequence diagram's participants (this tool, then each peer by address) and arrows
 * (each call, and what crossed the wire, labelled as `--explain` labels it, with the time since
 * start), bounded whatever the peers do. The formats (`diagram_mermaid.ts`, `diagram_svg.ts`)
 * only draw it.
 *
 * Every text in the model is safe plain text: bytes from a peer went through the escaper
 * (`escapeBytes`: no control character, no invalid UTF-8), and are shortened. What a format
 * must still escape for its own syntax (Mermaid's, XML's) is the format's job.
 *
 * @module
 */
import type { Step } from "../net/steps.ts";
import { callLabel, failed, outcomeText } from "./diagram_labels.ts";
import { showAddress } from "./explain.ts";
import { DIAGRAM_LIMIT_DEFAULT } from "./defaults.ts";

/** An arrow: a call, or what crossed the wire, from one participant to another (or itself). */
export interface DiagramArrow {
  /** An arrow. */
  kind: "arrow";
  /** The participant it starts from (an index into {@linkcode Diagram.participants}). */
  from: number;
  /** The participant it points to (`from` itself for a local call). */
  to: number;
  /** The label, without the time: `send 13 bytes "Hello, world!"`. */
  text: string;
  /** Milliseconds since the process started. */
  ms: number;
  /** The call failed, timed out or was refused. */
  failed: boolean;
}

/** A note over participants: sessions not drawn, a call still waiting at the end. */
export interface DiagramNote {
  /** A note. */
  kind: "note";
  /** The participant it is over. */
  over: number;
  /** What it says. */
  text: string;
}

/** A session as a sequence diagram. */
export interface Diagram {
  /** The participants' names: this tool first, then each peer's address in order of appearance. */
  participants: string[];
  /** The arrows and notes, in order. */
  items: (DiagramArrow | DiagramNote)[];
}

/** Options for {@linkcode DiagramRecorder}. */
export interface DiagramRecorderOptions {
  /**
   * What starts a session, for a server (`accept`) or a listener (`recvfrom`): only the first
   * `limit` sessions are drawn, then a note says how many more there were.
   * @default {undefined} (one session: everything is drawn, up to `maxItems`)
   */
  sessionsStartAt?: "accept" | "recvfrom" | undefined;
  /**
   * How many sessions are drawn.
   * @default {10}
   */
  limit?: number | undefined;
  /**
   * The most arrows drawn in all (a note then says how many calls were left out).
   * @default {200}
   */
  maxItems?: number | undefined;
  /**
   * The most arrows drawn per session.
   * @default {16}
   */
  maxPerSession?: number | undefined;
  /**
   * The most payload bytes shown in a label; a longer payload is shortened (`…`), its size
   * being in the label.
   * @default {32}
   */
  preview?: number | undefined;
  /**
   * The clock: milliseconds since the process started.
   * @default {performance.now}
   */
  now?: (() => number) | undefined;
}

/** The most peers drawn as participants of their own. */
const MAX_PEERS = 12;
const OTHER_PEERS = "(other peers)";

/** What the recorder keeps of a session. */
interface Session {
  arrows: number;
  skipped: number;
}

/**
 * Records steps as a {@linkcode Diagram}, bounded: at most `limit` sessions, `maxPerSession`
 * arrows each and `maxItems` in all; payloads shortened to `preview` bytes. It keeps no
 * reference to a step's bytes.
 *
 * @example A client's session
 * ```ts
 * import { DiagramRecorder } from "./diagram_model.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * let t = 0;
 * const rec = new DiagramRecorder("client", { now: () => t++ });
 * const address = { hostname: "127.0.0.1", port: 3490 };
 * rec.onStep({ call: "connect", phase: "start", address });
 * rec.onStep({ call: "connect", phase: "end", address });
 * const data = new TextEncoder().encode("Hello, world!");
 * rec.onStep({ call: "recv", phase: "end", bytes: 13, data, end: "eof" });
 * rec.onStep({ call: "close", type: "stream" });
 * const { participants, items } = rec.finish();
 * assertEquals(participants, ["client", "127.0.0.1:3490"]);
 * assertEquals(items.map((i) => i.kind === "arrow" ? [i.from, i.to, i.text] : i.text), [
 *   [0, 1, "connect()"],
 *   [1, 0, 'recv 13 bytes "Hello, world!", then FIN'],
 *   [0, 1, "close() (FIN)"],
 * ]);
 * ```
 */
export class DiagramRecorder {
  #participants: string[];
  #index = new Map<string, number>();
  #items: (DiagramArrow | DiagramNote)[] = [];
  #sessions = new Map<string, Session>();
  #drawnSessions = 0;
  #moreSessions = 0;
  #skipped = 0;
  #current: string | undefined;
  #waiting = new Map<string, DiagramArrow>();
  #startsAt: DiagramRecorderOptions["sessionsStartAt"];
  #limit: number;
  #maxItems: number;
  #maxPerSession: number;
  #preview: number;
  #now: () => number;

  /**
   * Starts an empty diagram.
   *
   * @param tool This tool's name: the first participant.
   * @param options Which call starts a session, and the bounds.
   */
  constructor(tool: string, options: DiagramRecorderOptions = {}) {
    this.#participants = [tool];
    this.#startsAt = options.sessionsStartAt;
    this.#limit = options.limit ?? DIAGRAM_LIMIT_DEFAULT;
    this.#maxItems = options.maxItems ?? 200;
    this.#maxPerSession = options.maxPerSession ?? 16;
    this.#preview = options.preview ?? 32;
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * Takes one step (an {@linkcode OnStep} observer).
   *
   * @param step What the library did.
   */
  onStep(step: Step): void {
    const ms = this.#now();
    // A local call is drawn on this tool alone: bind, and a datagram socket's connect (no
    // packet crosses: it only fixes the peer).
    const local = step.call === "bind" || (step.call === "connect" && step.type === "dgram");
    const peer = step.address === undefined || local ? undefined : showAddress(step.address);
    if (step.call === "connect" || step.call === "accept") this.#current = peer;
    const at = peer ?? (step.call === "recv" || step.call === "send" || step.call === "shutdown" ||
        step.call === "handshake" || (step.call === "close" && step.type !== "dgram")
      ? this.#current
      : undefined);
    const session = this.#session(step, at);
    if (session === null) return;
    const key = `${step.call} ${at ?? ""}`;
    if (step.phase === "start") {
      if (step.call !== "connect" && step.call !== "handshake" && step.call !== "getaddrinfo") {
        return;
      }
      // Drawn at its end; drawn as still waiting if it never ends.
      this.#waiting.set(key, this.#arrow(step, at, ms, `${this.#label(step)} ... no answer`, true));
      return;
    }
    this.#waiting.delete(key);
    // A wait given up for the next send (a ping's pace) crossed nothing: not drawn.
    if (step.reason === "next-send") return;
    if (session !== undefined && session.arrows >= this.#maxPerSession) {
      session.skipped++;
      return;
    }
    if (this.#items.length >= this.#maxItems) {
      this.#skipped++;
      return;
    }
    if (session !== undefined) session.arrows++;
    this.#items.push(this.#arrow(step, at, ms, this.#label(step), failed(step)));
  }

  /**
   * The diagram so far, with a note for each call still waiting, for the sessions and calls
   * not drawn.
   *
   * @returns The diagram.
   */
  finish(): Diagram {
    const items = [...this.#items, ...this.#waiting.values()];
    for (const [peer, session] of this.#sessions) {
      if (session.skipped > 0) {
        items.push({
          kind: "note",
          over: this.#participant(peer),
          text: `${session.skipped} more calls with ${peer} not drawn`,
        });
      }
    }
    const more: string[] = [];
    if (this.#moreSessions > 0) {
      more.push(`${this.#moreSessions} more sessions not drawn (--diagram-limit ${this.#limit})`);
    }
    if (this.#skipped > 0) more.push(`${this.#skipped} more calls not drawn`);
    for (const text of more) items.push({ kind: "note", over: 0, text });
    return { participants: [...this.#participants], items };
  }

  /**
   * The session `step` belongs to, starting one where the tool's sessions start; `null` for a
   * step of a session not drawn. Only drawn sessions are kept: the memory is bounded by `limit`.
   */
  #session(step: Step, at: string | undefined): Session | null | undefined {
    if (this.#startsAt === undefined || at === undefined) return undefined;
    if (step.call === this.#startsAt && step.phase !== "start") {
      const before = this.#sessions.get(at);
      if (before !== undefined) this.#skipped += before.skipped;
      if (this.#drawnSessions >= this.#limit) {
        this.#moreSessions++;
        this.#sessions.delete(at);
        return null;
      }
      this.#drawnSessions++;
      const session = { arrows: 0, skipped: 0 };
      this.#sessions.set(at, session);
      return session;
    }
    return this.#sessions.get(at) ?? null;
  }

  #participant(name: string): number {
    let i = this.#index.get(name);
    if (i === undefined) {
      // A bounded picture: past MAX_PEERS, the other peers share one participant.
      const shown = this.#participants.length > MAX_PEERS ? OTHER_PEERS : name;
      i = this.#index.get(shown) ?? this.#participants.push(shown) - 1;
      this.#index.set(shown, i);
    }
    return i;
  }

  #arrow(
    step: Step,
    at: string | undefined,
    ms: number,
    text: string,
    failed: boolean,
  ): DiagramArrow {
    const peer = at === undefined ? 0 : this.#participant(at);
    const inbound = step.call === "accept" || step.call === "recv" || step.call === "recvfrom" ||
      (step.call === "handshake" && this.#startsAt === "accept");
    return inbound
      ? { kind: "arrow", from: peer, to: 0, text, ms, failed }
      : { kind: "arrow", from: 0, to: peer, text, ms, failed };
  }

  /** The arrow's label, as `--explain` words the call, shorter. */
  #label(step: Step): string {
    const outcome = outcomeText(step);
    return outcome === undefined
      ? callLabel(step, this.#preview)
      : `${callLabel(step, this.#preview)} ${outcome}`;
  }
}
