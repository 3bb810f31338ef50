// client --tls against real peers: truncation, a refusal before any data, expired and hostile
// certificates, two-way sessions (1 MiB round trips), mutual TLS from stdin, and the one
// receive path's JSON. Every peer and run is bounded in time.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { makeCerts, type TestCerts } from "../testing/certs.ts";
import { HOSTILE_SUBJECT, makeOddCerts, type OddCerts } from "../testing/odd_certs.ts";
import { hasCommand, text, toolArgs, ToolProcess } from "./_tools.ts";
import { runWithInput } from "../testing/run_with_input.ts";
import { parseEvents } from "./_events.ts";
import { waitBound } from "../testing/ready.ts";
import { freePort } from "../testing/ports.ts";

const ignore = !hasCommand("openssl") || !hasCommand("python3");
if (ignore) console.log("skipped: TLS client tests: openssl or python3 is not installed");

const certs: TestCerts | undefined = ignore ? undefined : await makeCerts();
const odd: OddCerts | undefined = certs ? await makeOddCerts(certs) : undefined;
globalThis.addEventListener("unload", () => certs?.[Symbol.dispose]());
const PEER = new URL("../testing/tls_peer.py", import.meta.url).pathname;

/** Runs the client with `stdin`, read access to the certificates, killed after 20 s. */
function client(args: string[], stdin?: Uint8Array, perms?: string[]) {
  return runWithInput(
    Deno.execPath(),
    toolArgs("client", args, perms ?? ["--allow-net", `--allow-read=${certs!.dir}`]),
    stdin,
    20_000,
  );
}

/** The python TLS peer: sends `data`, then ends with close_notify or drops the TCP side. */
async function pythonPeer(
  mode: "notify" | "truncate" | "reset",
  data: string,
  cert?: string,
) {
  const child = new Deno.Command("python3", {
    args: [PEER, mode, cert ?? certs!.serverCert, cert ? odd!.key : certs!.serverKey, data],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  return {
    port: Number(seen.trim()),
    async [Symbol.asyncDispose]() {
      clearTimeout(timer);
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await reader.cancel();
      await child.status;
    },
  };
}

/** `openssl s_server` on a free port, with `args`, sending `input` (then close_notify). */
async function sServer(args: string[], input?: Uint8Array) {
  const port = freePort("tcp", "127.0.0.1");
  const child = new Deno.Command("openssl", {
    args: ["s_server", "-accept", `127.0.0.1:${port}`, "-quiet", ...args],
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  if (input !== undefined) {
    const w = child.stdin.getWriter();
    w.write(input).then(() => w.close()).catch(() => {});
  }
  await waitBound("tcp", port);
  return {
    port,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.stdin.abort().catch(() => {});
      await child.status;
    },
  };
}

/** Our server with the test certificate, on port 0, allowed to read the certificates. */
async function tlsServer(args: string[]) {
  const tls = ["--tls", "--cert", certs!.serverCert, "--key", certs!.serverKey];
  const proc = new ToolProcess("server", ["-p", "0", ...tls, ...args], {
    perms: ["--allow-net", `--allow-read=${certs!.dir}`],
  });
  try {
    return { proc, port: await proc.port() };
  } catch (err) {
    await proc[Symbol.asyncDispose]();
    throw err;
  }
}

/** The --json lines, each checked against schema/events.schema.json. */
function events(stdout: Uint8Array): Record<string, unknown>[] {
  return parseEvents(text(stdout));
}

const TLS = () => ["--tls", "--ca", certs!.ca];

Deno.test({
  name:
    "client --tls: data then an end without close_notify is printed, then called truncated (exit 1)",
  ignore,
  sanitizeResources: true,
  async fn() {
    {
      await using peer = await pythonPeer("truncate", "amount=1000");
      const res = await client(["-p", String(peer.port), ...TLS(), "localhost"]);
      assertEquals(text(res.stdout).split("\n").at(-2), "client: received 'amount=1000'");
      assertEquals(
        res.stderr,
        "client: tls: the server ended the session without close_notify after 11 bytes: " +
          "the data may be truncated\n",
      );
      assertEquals(res.code, 1);
    }
    {
      await using peer = await pythonPeer("truncate", "amount=1000");
      const res = await client(["-p", String(peer.port), ...TLS(), "--json", "localhost"]);
      const lines = events(res.stdout);
      const received = lines.find((e) => e.event === "received")!;
      assertEquals([received.data, received.end], ["amount=1000", "truncated"]);
      assertEquals(lines.at(-1)!.event, "error");
      assertEquals(lines.at(-1)!.exit_code, 1);
      assertEquals(res.code, 1);
    }
    {
      // A reset after the data reads as over TCP.
      await using peer = await pythonPeer("reset", "amount=1000");
      const res = await client(["-p", String(peer.port), ...TLS(), "localhost"]);
      assertEquals(text(res.stdout).split("\n").at(-2), "client: received 'amount=1000'");
      assertEquals([res.code, res.stderr], [
        1,
        "client: recv: Connection reset by peer after 11 bytes\n",
      ]);
    }
    {
      // The same data with close_notify is a clean end.
      await using peer = await pythonPeer("notify", "amount=1000");
      const res = await client(["-p", String(peer.port), ...TLS(), "--json", "localhost"]);
      const received = events(res.stdout).find((e) => e.event === "received")!;
      assertEquals([received.data, received.end, res.code], ["amount=1000", "eof", 0]);
    }
  },
});

Deno.test({
  name:
    "client --tls: a session ended before any data, without close_notify or by alert, is an error naming the likely cause",
  ignore,
  async fn() {
    const line =
      "client: tls: the server ended the TLS session before sending anything: it may require a client certificate\n";
    {
      await using peer = await pythonPeer("truncate", "");
      const res = await client(["-p", String(peer.port), ...TLS(), "localhost"]);
      assertEquals([res.code, res.stderr], [1, line]);
      assert(!text(res.stdout).includes("received"), text(res.stdout));
    }
    {
      // openssl s_server -Verify 1 sends the alert TLS 1.3 has for it.
      await using s = await sServer([
        "-Verify",
        "1",
        "-CAfile",
        certs!.ca,
        "-cert",
        certs!.serverCert,
        "-key",
        certs!.serverKey,
      ]);
      const res = await client(["-p", String(s.port), ...TLS(), "--json", "localhost"]);
      assertEquals(res.code, 1, res.stderr);
      assertEquals(
        res.stderr,
        "client: tls: the server ended the TLS session with alert CertificateRequired before " +
          "sending anything: it may require a client certificate\n",
      );
      const last = events(res.stdout).at(-1)!;
      assertEquals([last.event, last.exit_code], ["error", 1]);
    }
    {
      // Our own server with --client-ca, whatever it sends when it refuses.
      const { proc, port } = await tlsServer([
        "--client-ca",
        certs!.ca,
      ]);
      await using _server = proc;
      const res = await client(["-p", String(port), ...TLS(), "localhost"]);
      assertEquals(res.code, 1, res.stderr);
      assertMatch(res.stderr, /before sending anything: it may require a client certificate\n$/);
    }
  },
});

Deno.test({
  name:
    "client --tls: expired and not-yet-valid certificates are called that, with their dates (exit 2)",
  ignore,
  async fn() {
    for (
      const [cert, line] of [
        [
          odd!.expiredCert,
          "certificate has expired: valid from 2020-01-01T00:00:00Z until 2020-01-02T00:00:00Z (Expired)",
        ],
        [
          odd!.futureCert,
          "certificate is not valid yet: valid from 2040-01-01T00:00:00Z until 2040-01-02T00:00:00Z (NotValidYet)",
        ],
      ]
    ) {
      await using s = await sServer(["-cert", cert!, "-key", odd!.key]);
      const res = await client(["-p", String(s.port), ...TLS(), "localhost"]);
      assertEquals([res.code, res.stderr], [2, `client: tls: ${line}\n`]);
    }
  },
});

Deno.test({
  name: "client --tls: a hostile certificate subject is escaped in the lines, --explain and --json",
  ignore,
  async fn() {
    for (const view of [[], ["--explain"], ["--json"]]) {
      await using peer = await pythonPeer("notify", "hi", odd!.hostileCert);
      const res = await client(["-p", String(peer.port), ...TLS(), ...view, "localhost"]);
      assertEquals(res.code, 0, res.stderr);
      const all = text(res.stdout) + res.stderr;
      // No control character but the newline ending each line, and no bidi override.
      const bad = [...all].filter((c) =>
        (c < " " && c !== "\n") || c === "\x7f" || /\p{Cf}/u.test(c)
      );
      assertEquals(bad, [], all);
      const shown = view[0] === "--json"
        ? String(events(res.stdout).find((e) => e.event === "connected")!.tls)
        : all;
      assert(shown.includes("\\x1b]0\\\\;pwned\\x07"), shown); // RFC 4514's \; escaped
      assert(shown.includes("\\r\\nclient: fake line \\u{202e}evil"), shown);
    }
    assert(HOSTILE_SUBJECT.includes("\u202e"));
  },
});

/** Sends `payload` through `client --tls --stdin --raw` to `port`; the echo must equal it. */
async function roundTrip(port: number, payload: Uint8Array, extra: string[] = []) {
  const started = performance.now();
  const res = await client([
    "-p",
    String(port),
    ...TLS(),
    "--stdin",
    "--raw",
    "--read-timeout",
    "5s",
    ...extra,
    "localhost",
  ], payload);
  const same = res.stdout.length === payload.length && res.stdout.every((b, i) => b === payload[i]);
  const got = `${res.stdout.length} of ${payload.length} bytes came back\n`;
  return { code: res.code, same, ms: performance.now() - started, stderr: got + res.stderr };
}

const MIB = new Uint8Array(1 << 20).map((_, i) => (i * 131 + (i >> 11)) & 255);

Deno.test({
  name:
    "client --tls --stdin: 1 MiB round-trips byte-exact through server --tls --echo and socat, none hanging",
  ignore,
  async fn() {
    const { proc, port } = await tlsServer(["--echo"]);
    await using _server = proc;
    for (let i = 0; i < 3; i++) {
      const r = await roundTrip(port, MIB);
      assertEquals([r.code, r.same], [0, true], r.stderr);
    }
    if (hasCommand("socat")) {
      const sport = freePort("tcp", "127.0.0.1");
      const socat = new Deno.Command("socat", {
        args: [
          `OPENSSL-LISTEN:${sport},bind=127.0.0.1,fork,reuseaddr,cert=${certs!.serverCert},key=${
            certs!.serverKey
          },verify=0`,
          "EXEC:cat",
        ],
        stdout: "null",
        stderr: "null",
      }).spawn();
      try {
        await waitBound("tcp", sport);
        for (let i = 0; i < 3; i++) {
          const r = await roundTrip(sport, MIB);
          assertEquals([r.code, r.same], [0, true], r.stderr);
        }
      } finally {
        socat.kill("SIGKILL");
        await socat.status;
      }
    }
  },
});

Deno.test({
  name:
    "client --tls --stdin --no-shutdown -i: a round trip byte-exact through ncat --ssl -e /bin/cat",
  ignore: ignore || !hasCommand("ncat"),
  async fn() {
    const port = freePort("tcp", "127.0.0.1");
    const ncat = new Deno.Command("ncat", {
      args: [
        "--ssl",
        "--ssl-cert",
        certs!.serverCert,
        "--ssl-key",
        certs!.serverKey,
        "-l",
        "-k",
        "127.0.0.1",
        String(port),
        "-e",
        "/bin/cat",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      await waitBound("tcp", port);
      // ncat -e ends the session when the client's end arrives, dropping what cat has not
      // sent back yet: the client keeps its side open and ends when the echo goes idle. And
      // its relay can deadlock past 56 KiB in flight (plain `nc` gets 57344 bytes of 1 MiB
      // back in half of its runs), so the suite sends 48 KiB; bench/tls_round_trip.ts
      // sends 1 MiB, 20 times.
      const payload = MIB.subarray(0, 48 * 1024);
      for (let i = 0; i < 3; i++) {
        const r = await roundTrip(port, payload, ["--no-shutdown", "-i", "1s"]);
        assertEquals([r.code, r.same], [0, true], r.stderr);
        assertMatch(r.stderr, /client: idle for 1s: closing\n$/);
      }
    } finally {
      ncat.kill("SIGKILL");
      await ncat.status;
    }
  },
});

Deno.test({
  name: "mutual TLS with --allow-net only: chain, key and CAs on stdin for server and client",
  ignore,
  async fn() {
    const read = (p: string) => Deno.readTextFileSync(p);
    const serverPem = read(certs!.serverCert) + read(certs!.serverKey) + read(certs!.ca);
    const child = new Deno.Command(Deno.execPath(), {
      args: toolArgs("server", [
        "-p",
        "0",
        "--tls",
        "--cert",
        "-",
        "--key",
        "-",
        "--client-ca",
        "-",
      ]),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(serverPem));
    await w.close();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    try {
      let seen = "";
      while (!/listening on .*:(\d+)\n/.test(seen)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the server ended: ${seen}`);
        seen += value;
      }
      const port = /listening on .*:(\d+)\n/.exec(seen)![1]!;
      const clientPem = read(certs!.clientCert) + read(certs!.clientKey) + read(certs!.ca);
      const args = ["-p", port, "--tls", "--cert", "-", "--key", "-", "--ca", "-", "localhost"];
      const ok = await client(args, new TextEncoder().encode(clientPem), ["--allow-net"]);
      assertEquals(ok.code, 0, ok.stderr);
      assertMatch(text(ok.stdout), /received 'Hello, world!'\n$/);
      // Without the key in between, the chain and the CAs cannot be told apart.
      const bad = await client(
        ["-p", port, "--tls", "--cert", certs!.clientCert, "--key", "-", "--ca", "-", "localhost"],
        new TextEncoder().encode(read(certs!.ca)),
      );
      assertEquals(bad.code, 1);
      assertMatch(
        bad.stderr,
        /^client: Cannot use stdin for --key, --ca: give the certificate chain, then the private key, then the CA certificates/,
      );
    } finally {
      clearTimeout(timer);
      child.kill("SIGTERM");
      await reader.cancel();
      await child.stderr.cancel();
      await child.status;
    }
  },
});

Deno.test({
  name: "client --tls: a missing read grant suggests the stdin route for every file",
  ignore,
  async fn() {
    const res = await client(
      [
        "-p",
        "9",
        "--tls",
        "--cert",
        certs!.clientCert,
        "--key",
        certs!.clientKey,
        "--ca",
        certs!.ca,
        "localhost",
      ],
      undefined,
      ["--allow-net"],
    );
    assertEquals(res.code, 4);
    assert(
      res.stderr.includes(
        `(or give the PEM on stdin: cat ${certs!.clientCert} ${certs!.clientKey} ${
          certs!.ca
        } | … --cert - --key - --ca -)`,
      ),
      res.stderr,
    );
  },
});

Deno.test({
  name: "client --tls: an ALPN mismatch says so; --json has a tls field and one connected event",
  ignore,
  async fn() {
    const { proc, port } = await tlsServer([
      "--alpn",
      "socketkit",
    ]);
    await using _server = proc;
    const bad = await client(["-p", String(port), ...TLS(), "--alpn", "h2", "localhost"]);
    assertEquals(bad.code, 1, bad.stderr);
    assertMatch(bad.stderr, /^client: tls: .*ALPN protocols offered \(h2\)/);
    assert(!bad.stderr.includes("Client network socket disconnected"), bad.stderr);
    const ok = await client([
      "-p",
      String(port),
      ...TLS(),
      "--alpn",
      "socketkit",
      "--json",
      "localhost",
    ]);
    const connected = events(ok.stdout).filter((e) => e.event === "connected");
    assertEquals(connected.length, 1, text(ok.stdout));
    assertEquals(connected[0]!.tls, "TLSv1.3, ALPN socketkit, subject CN=localhost");
    const probe = await client(["-p", String(port), ...TLS(), "-z", "--json", "localhost"]);
    assertEquals(events(probe.stdout).filter((e) => e.event === "connected").length, 1);
    assertEquals(probe.code, 0);
  },
});

Deno.test({
  name: "client --tls: a handshake that stalls times out (exit 3, ETIMEDOUT in --json)",
  ignore,
  async fn() {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const held: Deno.Conn[] = [];
    const accepting = (async () => {
      for await (const c of listener) held.push(c); // accepts, never answers
    })();
    try {
      const res = await client([
        "-p",
        String(listener.addr.port),
        ...TLS(),
        "--read-timeout",
        "500ms",
        "--json",
        "127.0.0.1",
      ]);
      assertEquals(res.code, 3, res.stderr);
      assertEquals(res.stderr, "client: tls: handshake timed out after 500ms\n");
      const last = events(res.stdout).at(-1)!;
      assertEquals([last.event, last.errno, last.exit_code], ["error", "ETIMEDOUT", 3]);
    } finally {
      listener.close();
      await accepting.catch(() => {});
      for (const c of held) c.close();
    }
  },
});

Deno.test({
  name: "client --tls --raw with a slow stdout: every byte, then the end (backpressure below TLS)",
  ignore,
  async fn() {
    const payload = new Uint8Array(5_000_000).map((_, i) => (i * 7 + (i >> 13)) & 255);
    await using s = await sServer(
      ["-naccept", "1", "-cert", certs!.serverCert, "-key", certs!.serverKey],
      payload,
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: toolArgs("client", ["-p", String(s.port), ...TLS(), "--raw", "localhost"], [
        "--allow-net",
        `--allow-read=${certs!.dir}`,
      ]),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    try {
      // A reader that lags: stdout is not read for 1.5 s, so the client's queue fills and
      // reading the connection stops; pausing node:tls instead lost the end (exit 3).
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const [out, err, status] = await Promise.all([
        new Response(child.stdout).bytes(),
        new Response(child.stderr).text(),
        child.status,
      ]);
      assertEquals(status.code, 0, err);
      assertEquals(out.length, payload.length);
      assert(out.every((b, i) => b === payload[i]), "the bytes differ");
    } finally {
      clearTimeout(timer);
    }
  },
});
