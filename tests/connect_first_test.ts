import { assert, assertEquals, assertRejects, errorOf } from "./_assert.ts";
import { ConnectError, connectFirst } from "../lib/net/connect_first.ts";
import { NetError } from "../lib/net/errors.ts";
import type { Candidate } from "../lib/net/resolve.ts";

/** A port on which nothing listens: bind one, read its number, close it. */
function closedPort(hostname: string): number {
  const l = Deno.listen({ hostname, port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

Deno.test("connectFirst() tries the next address when the first refuses", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const candidates: Candidate[] = [
    { hostname: "::1", port: closedPort("::1"), family: 6 },
    { hostname: "127.0.0.1", port: listener.addr.port, family: 4 },
  ];
  const tried: string[] = [];
  const failed: string[] = [];
  using conn = await connectFirst(candidates, {
    onAttempt: (c) => tried.push(c.hostname),
    onError: (c, err) => failed.push(`${c.hostname} ${err instanceof NetError ? err.op : "?"}`),
  });
  using _accepted = await listener.accept();
  assertEquals(conn.remoteAddr.port, listener.addr.port);
  assertEquals(tried, ["::1", "127.0.0.1"]);
  assertEquals(failed, ["::1 dial"]);
});

Deno.test("connectFirst() lists every reason when no address connects", async () => {
  const candidates: Candidate[] = [
    { hostname: "::1", port: closedPort("::1"), family: 6 },
    { hostname: "127.0.0.1", port: closedPort("127.0.0.1"), family: 4 },
  ];
  const err = await connectFirst(candidates).catch((e) => e);
  assert(err instanceof ConnectError);
  assertEquals(err.exitCode, 2);
  assertEquals(err.attempts.length, 2);
  assert(err.attempts[0]!.error.cause instanceof Deno.errors.ConnectionRefused);
  assertEquals(
    err.message,
    `failed to connect: dial tcp [::1]:${candidates[0]!.port}: Connection refused; ` +
      `dial tcp 127.0.0.1:${candidates[1]!.port}: Connection refused`,
  );
});

Deno.test("connectFirst() gives up when cancelled", async () => {
  const controller = new AbortController();
  controller.abort();
  await assertRejects(
    () =>
      connectFirst([{ hostname: "127.0.0.1", port: 9, family: 4 }], { signal: controller.signal }),
    errorOf(DOMException, /^AbortError: /),
  );
});
