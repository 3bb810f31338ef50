// The plainest Deno TLS echo server: Deno.listenTls, each client's bytes sent back until it
// half-closes. The TLS echo benchmark's baseline.
//   deno run --allow-net --allow-read bench/peers/plain_tls_echo.ts PORT CERT KEY
const [port, certFile, keyFile] = Deno.args;
const listener = Deno.listenTls({
  hostname: "::",
  port: Number(port),
  cert: Deno.readTextFileSync(certFile!),
  key: Deno.readTextFileSync(keyFile!),
});
for await (const conn of listener) {
  (async () => {
    const buf = new Uint8Array(64 * 1024);
    try {
      let n: number | null;
      while ((n = await conn.read(buf)) !== null) {
        let off = 0;
        while (off < n) off += await conn.write(buf.subarray(off, n));
      }
      await conn.closeWrite();
    } catch { /* a client that went away */ }
    try {
      conn.close();
    } catch { /* closed */ }
  })();
}
