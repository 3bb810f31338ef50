import { assert, assertEquals } from "./_assert.ts";
import { bindFirst } from "../lib/net/bind_first.ts";
import { NetError } from "../lib/net/errors.ts";

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

Deno.test("bindFirst() throws the first address's failure as a NetError naming op and address", () => {
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let err: unknown;
  try {
    bindFirst([{ hostname: "127.0.0.1", port: busy.addr.port, family: 4 }], "tcp").close();
  } catch (e) {
    err = e;
  }
  assert(err instanceof NetError);
  assertEquals([err.op, err.network, err.address], [
    "listen",
    "tcp",
    `127.0.0.1:${busy.addr.port}`,
  ]);
  assert(err.cause instanceof Deno.errors.AddrInUse);
  assertEquals(err.message, `listen tcp 127.0.0.1:${busy.addr.port}: address already in use`);
});
