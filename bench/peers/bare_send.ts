// The floor for a one-shot datagram tool: a bare script that sends one datagram to ::1.
const conn = Deno.listenDatagram({ transport: "udp", hostname: "::", port: 0 });
await conn.send(new TextEncoder().encode("hi"), {
  transport: "udp",
  hostname: "::1",
  port: Number(Deno.args[0] ?? 4950),
});
conn.close();
