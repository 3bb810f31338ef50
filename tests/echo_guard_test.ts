import { assertEquals } from "./_assert.ts";
import { EchoGuard } from "../lib/net/echo_guard.ts";

/** A clock the test moves by hand, in milliseconds. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => t += ms };
}

Deno.test("EchoGuard refuses the listener's own port, whatever the address spelling", () => {
  const guard = new EchoGuard(4950);
  for (const hostname of ["::ffff:127.0.0.1", "127.0.0.1", "::1", "127.0.0.2", "10.1.2.3"]) {
    assertEquals(guard.check({ hostname, port: 4950 }), "loop", hostname);
  }
  assertEquals(guard.check({ hostname: "::1", port: 4951 }), undefined);
});

Deno.test("EchoGuard refuses port 0 and every port below 1024, and allows 1024", () => {
  const guard = new EchoGuard(4950);
  for (const port of [0, 7, 19, 53, 1023]) {
    assertEquals(guard.check({ hostname: "::1", port }), "lowPort", String(port));
  }
  assertEquals(guard.check({ hostname: "::1", port: 1024 }), undefined);
});

Deno.test("EchoGuard allows a burst, then the rate, per sender address", () => {
  const clock = manualClock();
  const guard = new EchoGuard(4950, { rate: 100, burst: 100, now: clock.now });
  const from = { hostname: "::1", port: 40000 };
  let echoed = 0;
  for (let i = 0; i < 1000; i++) if (guard.check(from) === undefined) echoed++;
  assertEquals(echoed, 100);
  assertEquals(guard.check(from), "rate");
  clock.advance(50); // 100/s: 5 more tokens
  echoed = 0;
  for (let i = 0; i < 1000; i++) if (guard.check(from) === undefined) echoed++;
  assertEquals(echoed, 5);
  // Changing the port gains nothing: the bucket belongs to the address.
  assertEquals(guard.check({ hostname: "::1", port: 40001 }), "rate");
  // Another address has its own bucket.
  assertEquals(guard.check({ hostname: "::ffff:127.0.0.1", port: 40000 }), undefined);
  // An idle sender's bucket refills to the burst, no further.
  clock.advance(60_000);
  echoed = 0;
  for (let i = 0; i < 1000; i++) if (guard.check(from) === undefined) echoed++;
  assertEquals(echoed, 100);
});

Deno.test("EchoGuard remembers at most maxSenders addresses, forgetting the oldest", () => {
  const clock = manualClock();
  const guard = new EchoGuard(4950, { burst: 1, maxSenders: 3, now: clock.now });
  for (let i = 0; i < 10_000; i++) {
    guard.check({ hostname: `10.0.${i >> 8}.${i & 255}`, port: 5000 });
  }
  assertEquals(guard.senders, 3);
  // The last three are still limited; the first was forgotten and starts afresh.
  assertEquals(guard.check({ hostname: "10.0.39.15", port: 5000 }), "rate");
  assertEquals(guard.check({ hostname: "10.0.0.0", port: 5000 }), undefined);
  assertEquals(guard.senders, 3);
});

Deno.test("EchoGuard on a Unix datagram socket: its own path is a loop, a sender has a rate", () => {
  const clock = manualClock();
  const guard = new EchoGuard({ path: "/tmp/server.sock" }, { burst: 1, rate: 1, now: clock.now });
  assertEquals(guard.check({ path: "/tmp/server.sock" }), "loop");
  assertEquals(guard.check({ path: "/tmp/client.sock" }), undefined);
  assertEquals(guard.check({ path: "/tmp/client.sock" }), "rate");
  clock.advance(1000);
  assertEquals(guard.check({ path: "/tmp/client.sock" }), undefined);
});

Deno.test("EchoGuard refuses an unspecified sender (0.0.0.0, ::, ::ffff:0.0.0.0) as unspecified", () => {
  // Answered, the kernel delivers these to the host's own loopback: the listener itself.
  const guard = new EchoGuard(4950);
  for (const hostname of ["0.0.0.0", "::", "::ffff:0.0.0.0", "0:0:0:0:0:0:0:0", "::0"]) {
    assertEquals(guard.check({ hostname, port: 40000 }), "unspecified", hostname);
    assertEquals(guard.check({ hostname, port: 4950 }), "unspecified", hostname);
  }
  assertEquals(guard.check({ hostname: "0.0.0.1", port: 40000 }), undefined);
  assertEquals(guard.check({ hostname: "::2", port: 40000 }), undefined);
  assertEquals(guard.senders, 2); // the refused ones take no bucket
});

Deno.test("EchoGuard names a group or broadcast sender as group, not loop", () => {
  const guard = new EchoGuard(4950);
  for (
    const hostname of ["239.1.2.3", "224.0.0.1", "ff02::1", "::ffff:239.1.2.3", "255.255.255.255"]
  ) {
    assertEquals(guard.check({ hostname, port: 40000 }), "group", hostname);
  }
});

Deno.test("EchoGuard refuses an unnamed Unix sender as unnamed, its own path as loop", () => {
  const guard = new EchoGuard({ path: "/tmp/l.sock" });
  assertEquals(guard.check({ path: "" }), "unnamed");
  assertEquals(guard.check({ path: null as unknown as string }), "unnamed");
  assertEquals(guard.check({ path: "/tmp/l.sock" }), "loop");
  assertEquals(guard.check({ path: "/tmp/t.sock" }), undefined);
});
