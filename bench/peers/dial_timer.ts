// Times one way of connecting to HOST:PORT, RUNS times; prints the milliseconds as JSON.
// Run inside a namespace where HOST has a black-holed first address (bench/dial.ts).
//   deno run --allow-net bench/peers/dial_timer.ts sequential|race|deno HOST PORT RUNS
import { Dialer } from "../../lib/net/dial.ts";
import { resolve } from "../../lib/net/resolve.ts";

const [mode, host, portText, runsText] = Deno.args;
const port = Number(portText);
const times: number[] = [];
for (let i = 0; i < Number(runsText); i++) {
  const t0 = performance.now();
  let conn: Deno.TcpConn;
  if (mode === "deno") {
    conn = await Deno.connect({ hostname: host!, port });
  } else {
    const dialer = new Dialer({ timeout: 10_000, race: mode === "race" });
    conn = await dialer.dial(await resolve(host!, port));
  }
  times.push(performance.now() - t0);
  conn.close();
}
console.log(JSON.stringify(times));
