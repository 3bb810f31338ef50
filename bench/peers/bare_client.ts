// The floor for a one-shot stream client: connect to ::1, read to EOF, print it.
const conn = await Deno.connect({ hostname: "::1", port: Number(Deno.args[0] ?? 3490) });
const buf = new Uint8Array(100);
let got = "", n: number | null;
while ((n = await conn.read(buf)) !== null) got += new TextDecoder().decode(buf.subarray(0, n));
conn.close();
console.log(`received '${got}'`);
