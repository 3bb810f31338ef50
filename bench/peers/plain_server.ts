// The floor: a plain Deno accept loop that sends the greeting and closes. No limits, no
// deadlines, no drain: what the hardened server must stay close to.
const port = Number(Deno.args[0] ?? 0);
const message = new TextEncoder().encode("Hello, world!");
const listener = Deno.listen({ hostname: "::", port });
console.log(`listening on ${listener.addr.port}`);
for await (const conn of listener) {
  conn.write(message).finally(() => conn.close()).catch(() => {});
}
