// node:tls over node:net (tls.createServer): the greeting then close, or with "echo" each
// client's bytes sent back. An alternative measured for the TLS layer.
//   deno run --allow-net --allow-read bench/peers/node_tls_net.ts PORT CERT KEY [echo]
import { createServer } from "node:tls";
const [port, certFile, keyFile, mode] = Deno.args;
const options = { cert: Deno.readTextFileSync(certFile!), key: Deno.readTextFileSync(keyFile!) };
createServer(options, (s) => {
  s.on("error", () => {});
  if (mode === "echo") s.pipe(s);
  else s.end("Hello, world!");
}).listen(Number(port), "::");
