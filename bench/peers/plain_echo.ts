// The floor for the echo server: a plain Deno accept loop that sends back what each client
// sends until it half-closes. No limits, no deadlines: what `server --echo` must stay close to.
const port = Number(Deno.args[0] ?? 0);
const listener = Deno.listen({ hostname: "127.0.0.1", port });
console.log(`listening on ${listener.addr.port}`);
for await (const conn of listener) {
  (async () => {
    const buf = new Uint8Array(64 * 1024);
    try {
      let n: number | null;
      while ((n = await conn.read(buf)) !== null) {
        let off = 0;
        while (off < n) off += await conn.write(buf.subarray(off, n));
      }
    } catch { /* the client went away */ }
    conn.close();
  })();
}
