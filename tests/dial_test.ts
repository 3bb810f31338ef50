import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertThrows,
  errorOf,
} from "./_assert.ts";
import { freePort } from "./_tools.ts";
import { blackHole, canBlackHole } from "../testing/black_hole.ts";
import { attemptShare } from "../lib/net/_dial_deadline.ts";
import { Dialer, interleaveFamilies } from "../lib/net/dial.ts";
import { NetError, ResolveError } from "../lib/net/errors.ts";
import { dial, joinHostPort, splitHostPort } from "../mod.ts";
import type { Candidate } from "../lib/net/resolve.ts";
import type { Step } from "../lib/net/steps.ts";

const ignore = !canBlackHole; // black holes need python3

function candidate(hostname: string, port: number): Candidate {
  return { hostname, port, family: hostname.includes(":") ? 6 : 4 };
}

/** What a `connect` step says of its attempt: `attempt`, `failed`, `connected`, `abandoned`. */
function outcome(s: Step): string | undefined {
  if (s.call !== "connect") return undefined;
  if (s.phase === "start") return "attempt";
  return s.error ? "failed" : s.reason ? "abandoned" : "connected";
}

/** The dial's `connect` steps as `outcome host:port[ reason]` lines, easy to compare. */
function recorder(): { events: string[]; onStep: (s: Step) => void } {
  const events: string[] = [];
  const onStep = (s: Step) => {
    const type = outcome(s);
    if (type === undefined || s.address === undefined || !("port" in s.address)) return;
    const where = `${s.address.hostname}:${s.address.port}`;
    events.push(`${type} ${where}${s.reason ? ` ${s.reason}` : ""}`);
  };
  return { events, onStep };
}

/** Milliseconds `fn` took, and what it returned or threw. */
async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const t0 = performance.now();
  try {
    const value = await fn();
    return { ms: performance.now() - t0, value };
  } catch (error) {
    return { ms: performance.now() - t0, error };
  }
}

Deno.test("attemptShare() splits what is left equally, but gives at least 2 s or all that is left", () => {
  assertEquals(attemptShare(10_000, 2), 5000);
  assertEquals(attemptShare(3000, 2), 2000);
  assertEquals(attemptShare(1500, 3), 1500);
  assertEquals(attemptShare(4000, 1), 4000);
});

Deno.test("interleaveFamilies() alternates families, starting with the first address's", () => {
  const order = interleaveFamilies([
    candidate("::1", 1),
    candidate("::2", 1),
    candidate("::3", 1),
    candidate("127.0.0.1", 1),
  ]);
  assertEquals(order.map((c) => c.hostname), ["::1", "127.0.0.1", "::2", "::3"]);
});

Deno.test({
  name: "Dialer gives a black-holed address its share of the deadline, then connects to the next",
  ignore,
  async fn() {
    await using hole = await blackHole("::1");
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const ok = candidate("127.0.0.1", listener.addr.port);
    const { events, onStep } = recorder();
    const failures: unknown[] = [];
    const { ms, value, error } = await timed(() =>
      new Dialer({
        timeout: 5000,
        onStep: (e) => {
          onStep(e);
          if (outcome(e) === "failed") failures.push(e.error as NetError);
        },
      }).dial([candidate("::1", hole.port), ok])
    );
    assertEquals(error, undefined);
    using _conn = value!;
    using _accepted = await listener.accept();
    // 5 s over two addresses: 2.5 s each, not the whole deadline for the first.
    assert(ms >= 2490 && ms < 4000, `connected after ${ms} ms`);
    assertEquals(events, [
      `attempt ::1:${hole.port}`,
      `failed ::1:${hole.port}`,
      `attempt 127.0.0.1:${ok.port}`,
      `connected 127.0.0.1:${ok.port}`,
    ]);
    const failure = failures[0];
    assert(failure instanceof NetError && failure.cause instanceof Deno.errors.TimedOut);
    // Issue 18, bug 10: one duration wording ("2.5s", as the deadline's own message).
    assertMatch(failure.message, /^dial tcp \[::1\]:\d+: timed out after 2\.\d+s$/);
    assertEquals(failure.timeout, true);
  },
});

Deno.test({
  name: "Dialer throws a timeout NetError at the deadline when the only address is black-holed",
  ignore,
  async fn() {
    await using hole = await blackHole("127.0.0.1");
    const { events, onStep } = recorder();
    const { ms, error } = await timed(() =>
      new Dialer({ timeout: 300, onStep }).dial([candidate("127.0.0.1", hole.port)])
    );
    assert(error instanceof NetError && error.timeout, String(error));
    assertEquals(error.message, `dial tcp 127.0.0.1:${hole.port}: timed out after 300ms`);
    assert(ms >= 295 && ms < 1500, `gave up after ${ms} ms`);
    assertEquals(events, [
      `attempt 127.0.0.1:${hole.port}`,
      `abandoned 127.0.0.1:${hole.port} deadline`,
    ]);
  },
});

Deno.test("Dialer throws the first failure when every address fails, reporting each", async () => {
  const candidates = [candidate("::1", freePort("tcp", "::1")), candidate("127.0.0.1", 1)];
  const failed: NetError[] = [];
  const onStep = (s: Step) => outcome(s) === "failed" && failed.push(s.error as NetError);
  const err = await new Dialer({ timeout: 5000, onStep }).dial(candidates).catch((e) => e);
  assert(err instanceof NetError && !err.timeout);
  assertEquals(failed.map((e) => e.address), [`[::1]:${candidates[0]!.port}`, "127.0.0.1:1"]);
  assertEquals(err, failed[0]);
  assert(err.cause instanceof Deno.errors.ConnectionRefused);
  assertEquals(err.message, `dial tcp [::1]:${candidates[0]!.port}: connection refused`);
});

Deno.test("Dialer tries the next address when the first refuses, in order", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const candidates = [
    candidate("::1", freePort("tcp", "::1")),
    candidate("127.0.0.1", listener.addr.port),
  ];
  const { events, onStep } = recorder();
  using conn = await new Dialer({ onStep }).dial(candidates);
  using _accepted = await listener.accept();
  assertEquals(conn.remoteAddr.port, listener.addr.port);
  assertEquals(events.map((e) => e.split(" ")[0]), ["attempt", "failed", "attempt", "connected"]);
});

Deno.test("Dialer gives up at once when cancelled", async () => {
  const controller = new AbortController();
  controller.abort();
  const err = await new Dialer().dial([candidate("127.0.0.1", 9)], { signal: controller.signal })
    .catch((e) => e);
  assert(err instanceof DOMException && err.name === "AbortError", String(err));
});

Deno.test({
  name: "racing Dialer connects to the next address one race delay after a black-holed first",
  ignore,
  async fn() {
    await using hole = await blackHole("::1");
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const ok = candidate("127.0.0.1", listener.addr.port);
    const { events, onStep } = recorder();
    const { ms, value, error } = await timed(() =>
      new Dialer({ timeout: 5000, race: true, raceDelay: 100, onStep })
        .dial([candidate("::1", hole.port), ok])
    );
    assertEquals(error, undefined);
    using _conn = value!;
    using _accepted = await listener.accept();
    assert(ms >= 99 && ms < 1000, `connected after ${ms} ms`);
    assertEquals(events, [
      `attempt ::1:${hole.port}`,
      `attempt 127.0.0.1:${ok.port}`,
      `connected 127.0.0.1:${ok.port}`,
      `abandoned ::1:${hole.port} lost`,
    ]);
  },
});

Deno.test("racing Dialer interleaves families and starts the next attempt as soon as one fails", async () => {
  const candidates = [
    candidate("::1", freePort("tcp", "::1")),
    candidate("::1", freePort("tcp", "::1")),
    candidate("127.0.0.1", freePort("tcp", "127.0.0.1")),
    candidate("127.0.0.1", freePort("tcp", "127.0.0.1")),
  ];
  const { events, onStep } = recorder();
  const failed: NetError[] = [];
  const record = (e: Step) => {
    onStep(e);
    if (outcome(e) === "failed") failed.push(e.error as NetError);
  };
  // With a 2 s delay, only starting on each failure can try all four this fast.
  const { ms, error } = await timed(() =>
    new Dialer({ timeout: 10_000, race: true, raceDelay: 2000, onStep: record }).dial(candidates)
  );
  assert(ms < 1000, `took ${ms} ms`);
  assert(error instanceof NetError && error.op === "dial", String(error));
  const order = [0, 2, 1, 3].map((i) => `${candidates[i]!.hostname}:${candidates[i]!.port}`);
  assertEquals(events.filter((e) => e.startsWith("attempt ")), order.map((a) => `attempt ${a}`));
  assertEquals(failed.length, 4);
  assertEquals(error, failed[0]);
});

Deno.test({
  name: "racing Dialer abandons every attempt at the deadline with a timeout NetError",
  ignore,
  async fn() {
    await using hole6 = await blackHole("::1");
    await using hole4 = await blackHole("127.0.0.1");
    const { events, onStep } = recorder();
    const { ms, error } = await timed(() =>
      new Dialer({ timeout: 400, race: true, raceDelay: 100, onStep }).dial([
        candidate("::1", hole6.port),
        candidate("127.0.0.1", hole4.port),
      ])
    );
    assert(error instanceof NetError && error.timeout, String(error));
    assert(ms >= 395 && ms < 1500, `gave up after ${ms} ms`);
    assertEquals(events, [
      `attempt ::1:${hole6.port}`,
      `attempt 127.0.0.1:${hole4.port}`,
      `abandoned ::1:${hole6.port} deadline`,
      `abandoned 127.0.0.1:${hole4.port} deadline`,
    ]);
  },
});

Deno.test({
  name: "racing Dialer stops when cancelled, rejecting with the signal's reason",
  ignore,
  async fn() {
    await using hole = await blackHole("127.0.0.1");
    const { events, onStep } = recorder();
    const stop = new AbortController();
    const reason = new Error("stopped by the test");
    setTimeout(() => stop.abort(reason), 150);
    const { ms, error } = await timed(() =>
      new Dialer({ timeout: 5000, race: true, onStep })
        .dial([candidate("127.0.0.1", hole.port)], { signal: stop.signal })
    );
    assertEquals(error, reason);
    assert(ms < 1000, `stopped after ${ms} ms`);
    assertEquals(events, [
      `attempt 127.0.0.1:${hole.port}`,
      `abandoned 127.0.0.1:${hole.port} cancelled`,
    ]);
  },
});

Deno.test({
  name: "Dialer reports a peer that accepts and resets at once as connected, then a read error",
  ignore,
  async fn() {
    // The reset races the end of connect(): it is seen either by Deno.connect or by the
    // first read. Dial until connect() sees it (a few tries on loopback), checking both.
    const server = new Deno.Command("python3", {
      args: [new URL("./fixtures/reset_server.py", import.meta.url).pathname, "--data=", "--loop"],
      stdout: "piped",
    }).spawn();
    const lines = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
    try {
      const port = Number((await lines.read()).value!.trim());
      let seenAtConnect = 0;
      for (let i = 0; i < 200 && seenAtConnect === 0; i++) {
        const { events, onStep } = recorder();
        const err = await new Dialer({ timeout: 5000, onStep })
          .dial([candidate("127.0.0.1", port)])
          .then(async (conn) => {
            using _ = conn; // the read sees the reset, or the end it leaves
            return await conn.read(new Uint8Array(16)).catch((e) => e);
          }, (e) => {
            seenAtConnect++;
            assert(e instanceof NetError, String(e));
            assertEquals([e.op, e.network], ["read", "tcp"], `${e.message} (${e.cause})`);
            return e.cause;
          });
        // The reset, or the ENOTCONN it leaves for the runtime's getpeername() after connect().
        const { ConnectionReset, NotConnected } = Deno.errors;
        assert(
          err === null || err instanceof ConnectionReset || err instanceof NotConnected,
          String(err),
        );
        assertEquals(events, [`attempt 127.0.0.1:${port}`, `connected 127.0.0.1:${port}`]);
      }
      if (seenAtConnect === 0) console.log("note: connect() never saw the reset here");
    } finally {
      server.kill();
      await lines.cancel();
      await server.status;
    }
  },
});

Deno.test({
  name: "a dial whose every attempt failed, the first by using up its share, is a timeout",
  ignore,
  async fn() {
    // Issue 18, bug 3: "connection timed out after 2500ms" came with timeout false.
    await using hole = await blackHole("127.0.0.1");
    const refused = candidate("127.0.0.1", await freePort());
    const { error } = await timed(() =>
      new Dialer({ timeout: 5000 }).dial([candidate("127.0.0.1", hole.port), refused])
    );
    assert(error instanceof NetError, String(error));
    assertEquals(error.timeout, true);
    assertMatch(
      error.message,
      new RegExp(`^dial tcp 127.0.0.1:${hole.port}: timed out after 2\\.\\d+s$`),
    );
  },
});

Deno.test("Dialer: timeout 0 is no deadline; NaN, -1 and a NaN raceDelay are refused, named", async () => {
  // Issue 18, bug 10: 0 timed out at once, NaN meant none, a NaN raceDelay was not clamped.
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  using conn = await new Dialer({ timeout: 0 }).dial([candidate("127.0.0.1", listener.addr.port)]);
  using _accepted = await listener.accept();
  assertEquals(conn.remoteAddr.port, listener.addr.port);
  for (const timeout of [NaN, -1]) {
    assertThrows(
      () => new Dialer({ timeout }),
      errorOf(RangeError, new RegExp(`Invalid timeout "${timeout}"`)),
    );
  }
  assertThrows(
    () => new Dialer({ raceDelay: NaN }),
    errorOf(RangeError, /Invalid raceDelay "NaN"/),
  );
  assertEquals(new Dialer({ raceDelay: 5 }).raceDelay, 10); // clamped, as RFC 8305 asks
  await assertRejects(
    () => new Dialer().dial([{ hostname: "localhost", port: 1, family: 4 }]),
    errorOf(TypeError, /Invalid candidate hostname "localhost": expected an IP literal/),
  );
});

Deno.test("dial() looks a name up and connects, under one deadline", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  using conn = await dial("localhost", listener.addr.port, { family: 4, timeout: 5000 });
  using _accepted = await listener.accept();
  assertEquals(conn.remoteAddr.port, listener.addr.port);
  await assertRejects(
    () => dial("no-such-host.invalid", 80, { timeout: 5000 }),
    errorOf(ResolveError, /^ResolveError: lookup no-such-host\.invalid: /),
  );
  await assertRejects(() => dial("::1", 0), errorOf(RangeError, /Invalid port "0"/));
});

Deno.test({
  name: "dial() at its deadline throws a timeout naming the whole deadline",
  ignore,
  async fn() {
    await using hole = await blackHole("127.0.0.1");
    const { ms, error } = await timed(() => dial("127.0.0.1", hole.port, { timeout: 300 }));
    assert(error instanceof NetError && error.timeout, String(error));
    assertEquals(error.message, `dial tcp 127.0.0.1:${hole.port}: timed out after 300ms`);
    assert(ms < 2000, `gave up after ${ms} ms`);
    const stop = new AbortController();
    stop.abort(new Error("Cancelled"));
    await assertRejects(
      () => dial("127.0.0.1", hole.port, { signal: stop.signal }),
      errorOf(Error, /Cancelled/),
    );
  },
});

Deno.test("splitHostPort() undoes joinHostPort(), and names what is wrong", () => {
  for (const [host, port] of [["::1", 1], ["127.0.0.1", 65535], ["fe80::1%2", 22], ["", 80]]) {
    assertEquals(splitHostPort(joinHostPort(host as string, port as number)), {
      hostname: host,
      port,
    });
  }
  assertThrows(() => splitHostPort("[::1]"), errorOf(TypeError, /Invalid address "\[::1\]"/));
  assertThrows(() => splitHostPort("a:b"), errorOf(TypeError, /the port "b" is not a number/));
  assertThrows(() => splitHostPort("a:70000"), errorOf(RangeError, /port 70000 is not from 0/));
});
