// server --tls and client --tls against real peers (openssl s_client/s_server, ncat --ssl),
// byte for byte, with certificates made by openssl at test time; mutual TLS; file errors.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { makeCerts } from "../testing/certs.ts";
import { hasCommand, runTool, text, toolArgs, ToolProcess } from "./_tools.ts";
import { runWithInput as peer } from "../testing/run_with_input.ts";

const ignore = !hasCommand("openssl");
if (ignore) console.log("skipped: TLS tests: openssl is not installed");

/**
 * Starts our server on port 0 with the test certificate and key, and read access to the
 * certificates' directory.
 */
async function tlsServer(
  certs: { dir: string; serverCert: string; serverKey: string },
  args: string[],
) {
  const tls = ["--tls", "--cert", certs.serverCert, "--key", certs.serverKey];
  const proc = new ToolProcess("server", ["-p", "0", ...tls, ...args], {
    perms: ["--allow-net", `--allow-read=${certs.dir}`],
  });
  try {
    return { proc, port: await proc.port() };
  } catch (err) {
    await proc[Symbol.asyncDispose]();
    throw err;
  }
}

Deno.test({
  name: "openssl s_client and ncat --ssl receive exactly the message from server --tls",
  ignore,
  async fn() {
    const certs = sharedCerts();
    const { proc, port } = await tlsServer(certs, [
      "--alpn",
      "h2,socketkit",
      "--message",
      "Hello over TLS!",
    ]);
    await using server = proc;
    const s = await peer("openssl", [
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      "-CAfile",
      certs.ca,
      "-verify_return_error",
      "-alpn",
      "socketkit",
      "-quiet",
    ]);
    assertEquals(text(s.stdout), "Hello over TLS!", s.stderr);
    await server.waitFor(/got connection from 127\.0\.0\.1 \(TLSv1\.3, ALPN socketkit\)\n/);
    if (hasCommand("ncat")) {
      const n = await peer("ncat", [
        "--ssl",
        "--ssl-verify",
        "--ssl-trustfile",
        certs.ca,
        "--recv-only",
        "localhost",
        String(port),
      ]);
      assertEquals(text(n.stdout), "Hello over TLS!", n.stderr);
      await server.waitFor(/got connection from (::1|127\.0\.0\.1) \(TLSv1\.3\)\n/);
    }
    server.kill("SIGTERM");
    assertEquals(await server.exit(), 0);
    assertMatch(server.stdout, /stopped: [12] served, 0 failed, 0 dropped, 0 failed handshakes\n$/);
  },
});

Deno.test({
  name:
    "server --tls drops a client that stalls or speaks plain TCP, counted, serving others meanwhile",
  ignore,
  async fn() {
    const certs = sharedCerts();
    const { proc, port } = await tlsServer(certs, [
      "--handshake-timeout",
      "1s",
    ]);
    await using server = proc;
    using stalled = await Deno.connect({ hostname: "127.0.0.1", port });
    using plain = await Deno.connect({ hostname: "127.0.0.1", port });
    await plain.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
    const started = Date.now();
    const s = await peer("openssl", [
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      "-CAfile",
      certs.ca,
      "-quiet",
    ]);
    assertEquals(text(s.stdout), "Hello, world!", s.stderr);
    assert(Date.now() - started < 900, "the TLS client waited for the stalled one");
    const buf = new Uint8Array(64);
    assertEquals(await stalled.read(buf), null); // dropped by the deadline, sent nothing
    assert(Date.now() - started >= 900, "dropped before --handshake-timeout");
    let n: number | null;
    while ((n = await plain.read(buf)) !== null) {
      assert(n > 0 && buf[0] === 0x15, "a TLS alert at most");
    }
    server.kill("SIGTERM");
    assertEquals(await server.exit(), 0);
    assertMatch(server.stdout, /stopped: 1 served, 0 failed, 0 dropped, 2 failed handshakes\n$/);
    assertMatch(server.stderr, /server: tls: handshake failed from 127\.0\.0\.1: timed out\n/);
  },
});

Deno.test({
  name: "client --tls reads an openssl s_server's bytes exactly and prints version and subject",
  ignore,
  async fn() {
    const certs = sharedCerts();
    const payload = new Uint8Array(3000).map((_, i) => (i * 7) & 255);
    const port = freePort();
    const server = serverPeer(
      ["-cert", certs.serverCert, "-key", certs.serverKey, "-alpn", "socketkit"],
      port,
      payload,
    );
    try {
      await waitListening(port);
      const res = await runToolStdin("client", [
        "-p",
        String(port),
        "--tls",
        "--ca",
        certs.ca,
        "--alpn",
        "socketkit",
        "--raw",
        "--read-timeout",
        "2s",
        "localhost",
      ], ["--allow-net", `--allow-read=${certs.dir}`]);
      assertEquals(res.stdout, payload);
      assertEquals(
        res.stderr,
        "client: connecting to 127.0.0.1\nclient: tls: TLSv1.3, ALPN socketkit, subject CN=localhost\n",
      );
    } finally {
      await stopPeer(server);
    }
  },
});

Deno.test({
  name: "client --tls refuses an untrusted server: one line, exit 2, nothing received",
  ignore,
  async fn() {
    const certs = sharedCerts();
    for (const trust of [["--ca", certs.ca], []]) {
      const port = freePort();
      const server = serverPeer(
        ["-cert", certs.rogueCert, "-key", certs.rogueKey],
        port,
        new TextEncoder().encode("secret"),
      );
      try {
        await waitListening(port);
        const res = await runToolStdin("client", [
          "-p",
          String(port),
          "--tls",
          ...trust,
          "localhost",
        ], [
          "--allow-net",
          `--allow-read=${certs.dir}`,
        ]);
        assertEquals(res.code, 2, res.stderr);
        assertEquals(text(res.stdout), "client: connecting to 127.0.0.1\n");
        assertEquals(res.stderr, "client: tls: certificate is not trusted (UnknownIssuer)\n");
      } finally {
        await stopPeer(server);
      }
    }
  },
});

Deno.test({
  name: "client --tls --servername must match the certificate",
  ignore,
  async fn() {
    const certs = sharedCerts();
    const { proc, port } = await tlsServer(certs, [
      "-q",
    ]);
    await using _server = proc;
    const perms = ["--allow-net", `--allow-read=${certs.dir}`];
    const ok = await runToolStdin("client", [
      "-p",
      String(port),
      "--tls",
      "--ca",
      certs.ca,
      "127.0.0.1",
    ], perms);
    assertEquals([ok.code, text(ok.stdout)], [
      0,
      "client: connecting to 127.0.0.1\nclient: tls: TLSv1.3, subject CN=localhost\nclient: received 'Hello, world!'\n",
    ]);
    const bad = await runToolStdin("client", [
      "-p",
      String(port),
      "--tls",
      "--ca",
      certs.ca,
      "--servername",
      "example.com",
      "127.0.0.1",
    ], perms);
    assertEquals(bad.code, 2);
    assertEquals(
      bad.stderr,
      'client: tls: certificate is not valid for "example.com" (NotValidForName)\n',
    );
  },
});

Deno.test({
  name: "mutual TLS: server --client-ca serves a client with a certificate and refuses one without",
  ignore,
  async fn() {
    const certs = sharedCerts();
    const { proc, port } = await tlsServer(certs, [
      "--client-ca",
      certs.ca,
    ]);
    await using server = proc;
    const perms = ["--allow-net", `--allow-read=${certs.dir}`];
    const accepted = await runToolStdin("client", [
      "-p",
      String(port),
      "--tls",
      "--ca",
      certs.ca,
      "--cert",
      certs.clientCert,
      "--key",
      certs.clientKey,
      "localhost",
    ], perms);
    assertEquals(accepted.code, 0, accepted.stderr);
    assertMatch(text(accepted.stdout), /received 'Hello, world!'\n$/);
    await server.waitFor(/got connection from 127\.0\.0\.1 \(TLSv1\.3, client CN=test client\)\n/);
    const refused = await runToolStdin("client", [
      "-p",
      String(port),
      "--tls",
      "--ca",
      certs.ca,
      "localhost",
    ], perms);
    // TLS 1.3 checks the client's certificate after the client's handshake is done, so the
    // refused client sees the session end before any data: an error naming the likely cause.
    assertEquals(refused.code, 1, refused.stderr);
    assertMatch(refused.stderr, /before sending anything: it may require a client certificate\n$/);
    // A client certificate from a CA the server does not trust is refused as well.
    const s = await peer("openssl", [
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      "-CAfile",
      certs.ca,
      "-cert",
      certs.rogueCert,
      "-key",
      certs.rogueKey,
      "-quiet",
    ]);
    assertEquals(text(s.stdout), "");
    server.kill("SIGTERM");
    assertEquals(await server.exit(), 0);
    assertMatch(server.stdout, /stopped: 1 served, 0 failed, 0 dropped, 2 failed handshakes\n$/);
  },
});

Deno.test({
  name:
    "TLS files: each problem is one line naming the file (exit 1); a missing grant names --allow-read (exit 4)",
  ignore,
  async fn() {
    const certs = sharedCerts();
    const read = ["--allow-net", `--allow-read=${certs.dir}`];
    const garbage = `${certs.dir}/garbage.pem`;
    Deno.writeTextFileSync(
      garbage,
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    const cases: [string[], string[], number, string][] = [
      [
        ["--cert", `${certs.dir}/none.pem`, "--key", certs.serverKey],
        read,
        1,
        `server: Cannot read --cert "${certs.dir}/none.pem": No such file or directory`,
      ],
      [
        ["--cert", certs.serverKey, "--key", certs.serverKey],
        read,
        1,
        `server: Cannot use --cert "${certs.serverKey}": no PEM certificate in it`,
      ],
      [
        ["--cert", garbage, "--key", certs.serverKey],
        read,
        1,
        `server: Cannot use --cert "${garbage}": not a valid certificate`,
      ],
      [
        ["--cert", certs.serverCert, "--key", certs.serverCert],
        read,
        1,
        `server: Cannot use --key "${certs.serverCert}": no PEM private key in it`,
      ],
      [
        ["--cert", certs.serverCert, "--key", certs.clientKey],
        read,
        1,
        `server: Cannot use --key "${certs.clientKey}": it is not the key of the certificate in "${certs.serverCert}"`,
      ],
      [
        ["--cert", certs.serverCert, "--key", certs.serverKey],
        ["--allow-net"],
        4,
        `server: Cannot read --cert "${certs.serverCert}": permission denied: run again with --allow-read=${certs.serverCert},${certs.serverKey}`,
      ],
    ];
    for (const [args, perms, code, line] of cases) {
      const res = await runTool("server", ["-p", "0", "--tls", ...args], { perms });
      assertEquals(res.code, code, res.stderr);
      assert(res.stderr.startsWith(line), `${res.stderr} should start with ${line}`);
      assertEquals(res.stderr.split("\n").length, 2, res.stderr);
      assertEquals(res.stdout, "");
    }
  },
});

Deno.test({
  name:
    "server --tls takes cert and key on stdin with --allow-net only (how compiled binaries get them)",
  ignore,
  async fn() {
    const certs = sharedCerts();
    const pem = Deno.readTextFileSync(certs.serverCert) + Deno.readTextFileSync(certs.serverKey);
    const child = new Deno.Command(Deno.execPath(), {
      args: toolArgs("server", ["-p", "0", "--tls", "--cert", "-", "--key", "-"]),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(pem));
    await w.close();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    try {
      let seen = "";
      while (!/listening on .*:(\d+)\n/.test(seen)) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += value;
      }
      const port = Number(/listening on .*:(\d+)\n/.exec(seen)![1]);
      const s = await peer("openssl", [
        "s_client",
        "-connect",
        `127.0.0.1:${port}`,
        "-CAfile",
        certs.ca,
        "-verify_return_error",
        "-quiet",
      ]);
      assertEquals(text(s.stdout), "Hello, world!", s.stderr);
    } finally {
      child.kill("SIGTERM");
      await reader.cancel();
      await child.stderr.cancel();
      await child.status;
    }
  },
});

Deno.test("TLS options need --tls; --tls needs --cert and --key", async () => {
  for (
    const [tool, args, line] of [
      ["server", ["--cert", "a.pem"], "server: Option --cert needs --tls"],
      ["server", ["--client-ca", "a.pem"], "server: Option --client-ca needs --tls"],
      ["server", ["--tls"], "server: Option --tls needs --cert FILE and --key FILE"],
      ["client", ["--ca", "a.pem", "localhost"], "client: Option --ca needs --tls"],
      [
        "client",
        ["--tls", "--cert", "a.pem", "localhost"],
        "client: Options --cert and --key go together",
      ],
      [
        "client",
        ["--tls", "--alpn", "a,,b", "localhost"],
        'client: Invalid --alpn "a,,b": expected protocol names separated by commas',
      ],
    ] as const
  ) {
    const res = await runTool(tool, [...args]);
    assertEquals([res.code, res.stderr], [1, `${line}\n`]);
  }
});

// --- helpers -------------------------------------------------------------------------

function sharedCerts() {
  return certsCache!;
}
const certsCache = ignore ? undefined : await makeCerts();
globalThis.addEventListener("unload", () => certsCache?.[Symbol.dispose]());

function freePort(): number {
  using l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return l.addr.port;
}

function serverPeer(args: string[], port: number, payload: Uint8Array) {
  const child = new Deno.Command("openssl", {
    args: ["s_server", "-accept", `127.0.0.1:${port}`, "-naccept", "1", "-quiet", ...args],
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const w = child.stdin.getWriter();
  w.write(payload).then(() => w.close()).catch(() => {});
  return child;
}

async function stopPeer(child: Deno.ChildProcess) {
  try {
    child.kill("SIGKILL");
  } catch { /* gone */ }
  await child.status;
}

async function waitListening(port: number) {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const { stdout } = await new Deno.Command("ss", {
      args: ["-Hltn", `sport = :${port}`],
      stdout: "piped",
    }).output();
    if (text(stdout).trim() !== "") return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

async function runToolStdin(tool: string, args: string[], perms: string[]) {
  const res = await runTool(tool, args, { perms });
  return { code: res.code, stdout: res.stdoutBytes, stderr: res.stderr };
}

Deno.test({
  name: "server --tls --echo sends every byte back over TLS, then closes after the client's end",
  ignore,
  async fn() {
    const certs = sharedCerts();
    const { proc, port } = await tlsServer(certs, [
      "--echo",
    ]);
    await using _server = proc;
    const payload = new Uint8Array(200_000);
    for (let off = 0; off < payload.length; off += 65536) {
      crypto.getRandomValues(payload.subarray(off, off + 65536));
    }
    using conn = await Deno.connectTls({
      hostname: "127.0.0.1",
      port,
      caCerts: [await Deno.readTextFile(certs.ca)],
    });
    const reading = (async () => {
      const chunks: Uint8Array[] = [];
      const buf = new Uint8Array(65536);
      let n: number | null;
      while ((n = await conn.read(buf)) !== null) chunks.push(buf.slice(0, n));
      const all = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
      let off = 0;
      for (const c of chunks) {
        all.set(c, off);
        off += c.length;
      }
      return all;
    })();
    for (let off = 0; off < payload.length;) off += await conn.write(payload.subarray(off));
    await conn.closeWrite();
    const back = await reading;
    assertEquals(back.length, payload.length);
    assert(back.every((b, i) => b === payload[i]), "the echo differs from what was sent");
    proc.kill("SIGTERM");
    assertEquals(await proc.exit(), 0);
    assertMatch(proc.stdout, /stopped: 1 served, .*200000 bytes echoed/);
  },
});
