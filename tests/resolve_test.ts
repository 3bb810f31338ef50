import { assert, assertEquals, assertMatch, assertRejects, errorOf } from "./_assert.ts";
import { ResolveError } from "../lib/net/errors.ts";
import { resolve } from "../lib/net/resolve.ts";
import type { Step } from "../lib/net/steps.ts";

Deno.test("resolve() returns IP literals with no lookup", async () => {
  assertEquals(await resolve("::1", 3490), [{ hostname: "::1", port: 3490, family: 6 }]);
  assertEquals(await resolve("127.0.0.1", 1, { family: 4 }), [{
    hostname: "127.0.0.1",
    port: 1,
    family: 4,
  }]);
});

Deno.test("resolve() uses the system resolver, /etc/hosts included", async () => {
  const hosts = await Deno.readTextFile("/etc/hosts");
  const expected = [...hosts.matchAll(/^\s*([0-9a-fA-F:.]+)\s+(?:.*\s)?localhost(?:\s|$)/gm)].map((
    m,
  ) => m[1]);
  const got = await resolve("localhost", 80);
  for (const c of got) {
    assertEquals(expected.includes(c.hostname), true, `${c.hostname} not in /etc/hosts`);
  }
  assertEquals(got.length > 0, true);
});

Deno.test("resolve() with passive and no host gives the wildcard addresses", async () => {
  assertEquals((await resolve(undefined, 0, { passive: true })).map((c) => c.hostname), [
    "::",
    "0.0.0.0",
  ]);
  assertEquals((await resolve(undefined, 0, { passive: true, family: 4 })).map((c) => c.hostname), [
    "0.0.0.0",
  ]);
  assertEquals((await resolve(undefined, 0, { passive: true, family: 6 })).map((c) => c.hostname), [
    "::",
  ]);
});

Deno.test("resolve() refuses an unknown host with a typed error", async () => {
  await assertRejects(
    () => resolve("nosuch.invalid", 1),
    errorOf(ResolveError, /^ResolveError: lookup nosuch\.invalid: Name or service not known$/),
  );
});

Deno.test("resolve() refuses an empty host name, even for a listening socket", async () => {
  await assertRejects(() => resolve("", 1), errorOf(ResolveError, /no host name|empty host name/));
  await assertRejects(
    () => resolve("", 1, { passive: true }),
    errorOf(ResolveError, /empty host name/),
  );
});

Deno.test("resolve() refuses a literal of the wrong family", async () => {
  await assertRejects(
    () => resolve("::1", 1, { family: 4 }),
    errorOf(ResolveError, /Address family for hostname not supported: an IPv6 address with -4/),
  );
  await assertRejects(
    () => resolve("127.0.0.1", 1, { family: 6 }),
    errorOf(ResolveError, /an IPv4 address with -6/),
  );
});

Deno.test("resolve() refuses a bad family", async () => {
  await assertRejects(
    // @ts-expect-error: a family from untyped code
    () => resolve("::1", 1, { family: 5 }),
    errorOf(ResolveError, /ai_family not supported: 5/),
  );
});

Deno.test("resolve() refuses a port out of range, naming it", async () => {
  // Issue 18, bug 10: 70000, -1 and NaN were accepted.
  for (const port of [70000, -1, NaN, 1.5]) {
    await assertRejects(
      () => resolve("::1", port),
      errorOf(
        RangeError,
        new RegExp(`Invalid port "${port}": expected a whole number from 0 to 65535`),
      ),
    );
  }
});

Deno.test("resolve() says a name has no address of the family asked for, and which it has", async () => {
  // Issue 19: `-6 localhost` (IPv4 only here) said "Name or service not known".
  const v6 = await resolve("localhost", 1, { family: 6 }).catch((e: unknown) => e);
  if (v6 instanceof Array) return; // this machine's localhost has an IPv6 address
  assert(v6 instanceof ResolveError, String(v6));
  assertMatch(
    v6.message,
    /^lookup localhost: No IPv6 address: the name has only IPv4 addresses \(127\./,
  );
});

Deno.test("resolve() takes a numeric IPv6 zone, and names a zone it cannot use", async () => {
  // Issue 19: 'fe80::1%lo' said "failed to lookup address information".
  assertEquals(await resolve("::1%1", 7), [{ hostname: "::1%1", port: 7, family: 6 }]);
  await assertRejects(
    () => resolve("fe80::1%no-such-if", 7),
    errorOf(ResolveError, /^ResolveError: lookup fe80::1%no-such-if: .*unknown zone "no-such-if"/),
  );
  await assertRejects(
    () => resolve("127.0.0.1%1", 7),
    errorOf(ResolveError, /a zone \("%1"\) goes with an IPv6 address only/),
  );
});

Deno.test("resolve() is abandoned when its signal aborts, and its step says why", async () => {
  const steps: Step[] = [];
  const stop = new AbortController();
  stop.abort(new Error("stopped"));
  const err = await resolve("localhost", 3490, {
    signal: stop.signal,
    onStep: (s) => steps.push(s),
  })
    .catch((e) => e);
  assertEquals((err as Error).message, "stopped");
  assertEquals(steps.map((s) => [s.call, s.phase, s.reason]), [
    ["getaddrinfo", "start", undefined],
    ["getaddrinfo", "end", "cancelled"],
  ]);
  const late = await resolve("localhost", 3490, { signal: AbortSignal.timeout(0) }).then(
    () => "resolved",
    (e) => (e as Error).name,
  );
  // A lookup of localhost may beat a 0 ms timer; either way nothing hangs.
  assert(late === "resolved" || late === "TimeoutError", late);
});
