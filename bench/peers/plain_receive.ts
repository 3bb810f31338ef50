// The floor for datagrams: a plain Deno receive loop that counts. With "reuse" it passes one
// 65,536-byte buffer; with "alloc" it lets receive() allocate one per datagram.
const [portArg, mode] = Deno.args;
const conn = Deno.listenDatagram({ transport: "udp", hostname: "::", port: Number(portArg ?? 0) });
console.log(`listening on ${(conn.addr as Deno.NetAddr).port}`);
let count = 0;
Deno.addSignalListener("SIGINT", () => {
  console.log(`received ${count} datagrams`);
  Deno.exit(0);
});
const buf = new Uint8Array(65536);
while (true) {
  if (mode === "alloc") await conn.receive();
  else await conn.receive(buf);
  count++;
}
