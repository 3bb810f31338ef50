// The plainest Deno TLS server: Deno.listenTls, the greeting, close. The TLS benchmark's baseline.
//   deno run --allow-net --allow-read bench/peers/plain_tls.ts PORT CERT KEY
const [port, certFile, keyFile] = Deno.args;
const listener = Deno.listenTls({
  hostname: "::",
  port: Number(port),
  cert: Deno.readTextFileSync(certFile!),
  key: Deno.readTextFileSync(keyFile!),
});
const message = new TextEncoder().encode("Hello, world!");
for await (const conn of listener) {
  (async () => {
    try {
      await conn.handshake();
      await conn.write(message);
    } catch { /* a client that went away */ }
    try {
      conn.close();
    } catch { /* closed */ }
  })();
}
