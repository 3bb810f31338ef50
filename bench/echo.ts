/**
 * Echo and UDP ping figures: `server --echo` against a plain Deno echo loop and socat, at
 * 1 and 64 clients (MiB/s over loopback, each run bounded to a few seconds), and the
 * talker's UDP ping round trip against `listener --echo -k` and a python3 echo peer.
 *
 *     deno run -A bench/echo.ts
 *
 * @module
 */

import { ROOT, streamEcho } from "./_bench_tools.ts";

/** One throughput figure. */
export interface EchoRow {
  /** Which server. */
  server: string;
  /** Clients at once. */
  clients: number;
  /** MiB echoed per second (bytes sent and received back, counted once). */
  mibPerSec: number;
}

/** One ping figure. */
export interface PingRow {
  /** Which echo peer. */
  peer: string;
  /** The talker's summary line. */
  summary: string;
  /** Average round trip in milliseconds. */
  avgMs: number;
}

interface Peer {
  name: string;
  start(): Promise<{ port: number; stop(): Promise<void> }>;
}

function spawn(cmd: string, args: string[]) {
  return new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped", cwd: ROOT })
    .spawn();
}

/** Starts a process and reads the port from its first `listening on ...PORT` line. */
async function startListening(cmd: string, args: string[], stream: "stdout" | "stderr" = "stdout") {
  const child = spawn(cmd, args);
  const reader = child[stream].pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${cmd} ended before listening: ${seen}`);
    seen += value;
    const m = /listening on \S*?(\d+)\n/.exec(seen);
    if (m) {
      reader.releaseLock();
      void child[stream].cancel().catch(() => {});
      const other = stream === "stdout" ? child.stderr : child.stdout;
      void other.cancel().catch(() => {});
      return {
        port: Number(m[1]),
        async stop() {
          try {
            child.kill("SIGKILL");
          } catch { /* gone */ }
          await child.status;
        },
      };
    }
  }
}

function freePort(): number {
  using l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return l.addr.port;
}

const deno = Deno.execPath();
const tcpPeers: Peer[] = [
  {
    name: "socketkit server --echo",
    start: () =>
      startListening(deno, [
        "run",
        "-A",
        "cmd/server.ts",
        "-p",
        "0",
        "-H",
        "127.0.0.1",
        "--echo",
        "-q",
      ]),
  },
  {
    name: "plain Deno echo loop",
    start: () => startListening(deno, ["run", "-A", "bench/peers/plain_echo.ts"]),
  },
  {
    name: "socat EXEC:cat",
    async start() {
      const port = freePort();
      const child = spawn("socat", [
        "-b",
        "65536",
        `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork,backlog=256`,
        "EXEC:cat",
      ]);
      for (let i = 0; i < 100; i++) {
        const ok = await Deno.connect({ hostname: "127.0.0.1", port }).then(
          (c) => (c.close(), true),
          () => false,
        );
        if (ok) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      return {
        port,
        async stop() {
          child.kill("SIGKILL");
          await child.status;
        },
      };
    },
  },
];

/** One client: connects, then streams `seconds` of data and reads it back; returns bytes. */
async function client(port: number, until: number): Promise<number> {
  return await streamEcho(await Deno.connect({ hostname: "127.0.0.1", port }), until);
}

/**
 * Echo throughput of each server at 1 and 64 clients.
 *
 * @param seconds How long each run streams.
 * @returns One row per server and client count.
 */
export async function echoThroughput(
  seconds = 2,
  onRow?: (row: EchoRow) => void,
): Promise<EchoRow[]> {
  const rows: EchoRow[] = [];
  for (const peer of tcpPeers) {
    for (const clients of [1, 64]) {
      const server = await peer.start();
      try {
        const t0 = performance.now();
        const until = t0 + seconds * 1000;
        const bytes = await Promise.all(
          Array.from({ length: clients }, () => client(server.port, until)),
        );
        const took = (performance.now() - t0) / 1000;
        const total = bytes.reduce((a, b) => a + b, 0);
        rows.push({ server: peer.name, clients, mibPerSec: total / took / (1 << 20) });
        onRow?.(rows[rows.length - 1]!);
      } catch (err) {
        throw new Error(`${peer.name}, ${clients} clients: ${err}`);
      } finally {
        await server.stop();
      }
    }
  }
  return rows;
}

const PY_ECHO = "import socket\ns=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM)\n" +
  "s.bind(('::1',0))\nprint('listening on',s.getsockname()[1],flush=True)\n" +
  "while True:\n d,a=s.recvfrom(65536)\n s.sendto(d,a)\n";

/**
 * UDP ping round trips: `talker -n N -i 10ms --connect -r 1s` against our listener's echo
 * and a python3 echo peer.
 *
 * @param count Requests per run (under the listener's 100/s echo rate limit).
 * @returns One row per peer.
 */
export async function udpPingRtt(count = 50): Promise<PingRow[]> {
  const peers = [
    {
      name: "socketkit listener --echo -k",
      args: [deno, ["run", "-A", "cmd/listener.ts", "-p", "0", "-H", "::1", "--echo", "-k", "-q"]],
    },
    { name: "python3 echo", args: ["python3", ["-c", PY_ECHO]] },
  ] as const;
  const rows: PingRow[] = [];
  for (const p of peers) {
    const peer = await startListening(p.args[0], [...p.args[1]]);
    try {
      const res = await new Deno.Command(deno, {
        args: [
          "run",
          "-A",
          "cmd/talker.ts",
          "-p",
          String(peer.port),
          "-n",
          String(count),
          "-i",
          "10ms",
          "--connect",
          "-r",
          "1s",
          "::1",
          "ping",
        ],
        cwd: ROOT,
      }).output();
      const summary = new TextDecoder().decode(res.stdout).trim().split("\n").pop() ?? "";
      const avg = /rtt min\/avg\/max = [\d.]+\/([\d.]+)\//.exec(summary);
      rows.push({ peer: p.name, summary, avgMs: avg ? Number(avg[1]) : NaN });
    } finally {
      await peer.stop();
    }
  }
  return rows;
}

if (import.meta.main) {
  await echoThroughput(2, (r) => {
    console.log(
      `${r.server.padEnd(26)} ${String(r.clients).padStart(3)} clients  ${
        r.mibPerSec.toFixed(0).padStart(6)
      } MiB/s`,
    );
  });
  for (const r of await udpPingRtt()) console.log(`${r.peer.padEnd(30)} ${r.summary}`);
}
