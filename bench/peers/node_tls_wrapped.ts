// node:tls over a connection Deno accepted (TLSSocket over a Duplex): the greeting,
// close_notify, close, with nothing else around it. What the TLS layer costs by itself.
//   deno run --allow-net --allow-read bench/peers/node_tls_wrapped.ts PORT CERT KEY
import { createSecureContext, TLSSocket } from "node:tls";
import { connDuplex } from "../../lib/net/_conn_duplex.ts";
const [port, certFile, keyFile] = Deno.args;
const secureContext = createSecureContext({
  cert: Deno.readTextFileSync(certFile!),
  key: Deno.readTextFileSync(keyFile!),
});
for await (const conn of Deno.listen({ hostname: "::", port: Number(port) })) {
  const s = new TLSSocket(connDuplex(conn), { isServer: true, secureContext });
  s.on("error", () => {});
  s.on("secure", () => s.end("Hello, world!"));
}
