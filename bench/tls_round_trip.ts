// The TLS client's two-way session, soaked: 1 MiB through `client --tls --stdin --raw`, RUNS
// times (default 20, TLS_RUNS) against each peer, every run bounded (20 s), each checked
// byte for byte. Peers: our `server --tls --echo` and socat `OPENSSL-LISTEN ... EXEC:cat`
// (half-close at the end of input, read until the server ends), ncat `--ssl -e /bin/cat`
// (`--no-shutdown -i 1s`: ncat -e ends a session when the client's end arrives, dropping what
// cat has not sent back yet). Prints one row per peer; exits 1 if any run failed or hung.
//
//     deno run --allow-all bench/tls_round_trip.ts
import { makeCerts } from "../testing/certs.ts";
import { runWithInput } from "../testing/run_with_input.ts";
import { waitBound } from "../testing/ready.ts";
import { freePort } from "../testing/ports.ts";
import { hasCommand } from "../testing/commands.ts";

const RUNS = Number(Deno.env.get("TLS_RUNS") ?? 20);
const ROOT = new URL("../", import.meta.url).pathname;
using certs = await makeCerts();
const payload = new Uint8Array(1 << 20).map((_, i) => (i * 131 + (i >> 11)) & 255);

function spawnPeer(cmd: string, args: string[]): Deno.ChildProcess {
  return new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).spawn();
}

const peers: { name: string; start: (port: number) => Deno.ChildProcess; extra: string[] }[] = [
  {
    name: "server --tls --echo",
    start: (port) =>
      spawnPeer(Deno.execPath(), [
        "run",
        "--quiet",
        "--allow-net",
        `--allow-read=${certs.dir}`,
        `${ROOT}cmd/server.ts`,
        "-q",
        "-p",
        String(port),
        "--tls",
        "--echo",
        "--cert",
        certs.serverCert,
        "--key",
        certs.serverKey,
      ]),
    extra: [],
  },
];
if (hasCommand("socat")) {
  peers.push({
    name: "socat OPENSSL-LISTEN EXEC:cat",
    start: (port) =>
      spawnPeer("socat", [
        `OPENSSL-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr,cert=${certs.serverCert},key=${certs.serverKey},verify=0`,
        "EXEC:cat",
      ]),
    extra: [],
  });
}
if (hasCommand("ncat")) {
  peers.push({
    name: "ncat --ssl -e /bin/cat",
    start: (port) =>
      spawnPeer("ncat", [
        "--ssl",
        "--ssl-cert",
        certs.serverCert,
        "--ssl-key",
        certs.serverKey,
        "-l",
        "-k",
        "127.0.0.1",
        String(port),
        "-e",
        "/bin/cat",
      ]),
    extra: ["--no-shutdown", "-i", Deno.env.get("NCAT_IDLE") ?? "1s"],
  });
}

let failed = 0;
console.log(`1 MiB round trips through client --tls --stdin --raw, ${RUNS} runs per peer`);
for (const peer of peers) {
  const port = freePort("tcp", "127.0.0.1");
  const child = peer.start(port);
  const times: number[] = [];
  let ok = 0, wrong = 0, hung = 0;
  try {
    await waitBound("tcp", port);
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      const res = await runWithInput(
        Deno.execPath(),
        [
          "run",
          "--quiet",
          "--allow-net",
          `--allow-read=${certs.dir}`,
          `${ROOT}cmd/client.ts`,
          "-p",
          String(port),
          "--tls",
          "--ca",
          certs.ca,
          "--stdin",
          "--raw",
          "--read-timeout",
          "5s",
          ...peer.extra,
          "localhost",
        ],
        payload,
        20_000,
      );
      times.push(performance.now() - started);
      const same = res.stdout.length === payload.length &&
        res.stdout.every((b, j) => b === payload[j]);
      if (res.code === 0 && same) ok++;
      else if (res.code === 137 || res.code === 9) hung++;
      else {
        wrong++;
        console.error(
          `${peer.name}: run ${
            i + 1
          }: exit ${res.code}, ${res.stdout.length} bytes: ${res.stderr.trim()}`,
        );
      }
    }
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? 0;
  console.log(
    `${peer.name.padEnd(32)} ${ok}/${RUNS} byte-exact, ${wrong} wrong, ${hung} hung; ` +
      `median ${median.toFixed(0)} ms, max ${(times.at(-1) ?? 0).toFixed(0)} ms`,
  );
  failed += wrong + hung;
}
Deno.exit(failed === 0 ? 0 : 1);
