/**
 * wait_for: wait until every HOST:PORT accepts a TCP connection (the wait-for-it job).
 *
 *   deno run --allow-net examples/wait_for.ts [--timeout DUR] HOST:PORT...
 *
 * Each target is dialed again, with a backoff from 100 ms to 2 s, until it accepts.
 * Exit 0 once all have; 3 at the deadline (default 30s), naming those not up; 2 for a
 * usage error. DUR: 500ms, 10s, 2m; at most 2147483647ms (24.8 days, a timer's longest).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dial, escapeBytes, NetError, splitHostPort } from "../mod.ts";

const usage = "usage: wait_for.ts [--timeout DUR] HOST:PORT...";
const MAX_MS = 2 ** 31 - 1; // the longest a timer waits (the library's timeouts stop there too)

/** Prints `message`, escaped (quotes and backslashes stay as they are), and exits. */
function fail(message: string, code: number): never {
  const safe = (line: string) =>
    escapeBytes(new TextEncoder().encode(line)).replace(/\\([\\"'])/g, "$1");
  console.error(`wait_for: ${message.split("\n").map(safe).join("\n")}`);
  Deno.exit(code);
}

let parsed;
try {
  parsed = parseArgs({
    args: Deno.args,
    options: { timeout: { type: "string", short: "t", default: "30s" } },
    allowPositionals: true,
  });
} catch (err) {
  fail(`${(err as Error).message}\n${usage}`, 2);
}
if (parsed.positionals.length === 0) fail(usage, 2);
const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(parsed.values.timeout);
const timeout = m ? Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 }[m[2] ?? "s"] ?? 1000) : NaN;
if (!(timeout >= 1 && timeout <= MAX_MS)) {
  fail(`Invalid --timeout "${parsed.values.timeout}": expected 1ms to ${MAX_MS}ms (10s, 2m)`, 2);
}
const targets = parsed.positionals.map((text) => {
  try {
    const target = { text, ...splitHostPort(text) };
    if (target.port === 0) throw new RangeError(`Invalid target "${text}": port 0`);
    return target;
  } catch (err) {
    return fail((err as Error).message, 2);
  }
});

const stop = new AbortController();
const deadline = stop.signal;
const timer = setTimeout(() => stop.abort(), timeout);
const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    deadline.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

/** Dials `target` until it accepts (true) or the deadline passes (false). */
async function waitFor(target: { hostname: string; port: number }): Promise<boolean> {
  for (let backoff = 100; !deadline.aborted; backoff = Math.min(backoff * 2, 2000)) {
    try {
      const conn = await dial(target.hostname, target.port, { timeout: 2000, signal: deadline });
      conn.close();
      return true;
    } catch (err) {
      if (!(err instanceof NetError) && !deadline.aborted) fail(String(err), 1);
    }
    await sleep(backoff);
  }
  return false;
}

const up = await Promise.all(targets.map(waitFor));
clearTimeout(timer);
const down = targets.filter((_, i) => !up[i]).map((t) => t.text);
if (down.length > 0) fail(`not up after ${parsed.values.timeout}: ${down.join(", ")}`, 3);
console.log(`wait_for: up: ${targets.map((t) => t.text).join(", ")}`);
