import { assert, assertEquals } from "./_assert.ts";
import { BindError, bindFirst } from "../lib/net/bind_first.ts";

Deno.test("bindFirst() falls back to the next address when one cannot be bound", () => {
  using busy = Deno.listen({ hostname: "::", port: 0 });
  const failed: string[] = [];
  using listener = bindFirst(
    [
      { hostname: "::", port: busy.addr.port, family: 6 },
      { hostname: "127.0.0.1", port: 0, family: 4 },
    ],
    "tcp",
    { onError: (c) => failed.push(c.hostname) },
  );
  assertEquals(listener.addr.hostname, "127.0.0.1");
  assertEquals(failed, ["::"]);
});

Deno.test("bindFirst() names every address that failed, exit code 2", () => {
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let err: unknown;
  try {
    bindFirst([{ hostname: "127.0.0.1", port: busy.addr.port, family: 4 }], "tcp").close();
  } catch (e) {
    err = e;
  }
  assert(err instanceof BindError);
  assertEquals(err.exitCode, 2);
  assertEquals(
    err.message,
    `failed to bind: listen tcp 127.0.0.1:${busy.addr.port}: Address already in use`,
  );
});
