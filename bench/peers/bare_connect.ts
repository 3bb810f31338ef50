// The floor for a port check (`client -z`): a bare script that connects to ::1, says so, closes.
const port = Number(Deno.args[0] ?? 3490);
const conn = await Deno.connect({ hostname: "::1", port });
conn.close();
console.log(`connected to ::1 port ${port}`);
