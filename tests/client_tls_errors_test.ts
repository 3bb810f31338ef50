// client --tls where it goes wrong before any data: Ctrl-C in a stalled handshake, a server
// that does not speak TLS, a name the certificate is not for (shown escaped once), and PEM
// on stdin in the wrong order. Real processes over loopback, each bounded in time.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { makeCerts, type TestCerts } from "../testing/certs.ts";
import { bytes, hasCommand, startTool, toolArgs, ToolProcess } from "./_tools.ts";
import { runWithInput } from "../testing/run_with_input.ts";

const ignore = !hasCommand("openssl");
if (ignore) console.log("skipped: TLS client error tests: openssl is not installed");

const certs: TestCerts | undefined = ignore ? undefined : await makeCerts();
globalThis.addEventListener("unload", () => certs?.[Symbol.dispose]());

/** Runs the client with `stdin`, read access to the certificates, killed after 20 s. */
function client(args: string[], stdin?: Uint8Array) {
  return runWithInput(
    Deno.execPath(),
    toolArgs("client", args, ["--allow-net", `--allow-read=${certs!.dir}`]),
    stdin,
    20_000,
  );
}

/** A server on 127.0.0.1 that accepts, reads, answers `reply` and keeps the socket open. */
function plainServer(reply: string) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      held.push(conn);
      if (reply === "") continue; // accepts, never answers
      await conn.read(new Uint8Array(4096)).catch(() => null);
      await conn.write(bytes(reply)).catch(() => 0);
    }
  })();
  return {
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await serving.catch(() => {});
      for (const c of held) c.close();
    },
  };
}

Deno.test({
  name: "client --tls: Ctrl-C in a stalled handshake ends at once, interrupted, exit 130",
  ignore,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using server = plainServer(""); // a TCP peer that never answers the ClientHello
    const proc = new ToolProcess(
      "client",
      ["--tls", "--ca", certs!.ca, "-p", String(server.port), "127.0.0.1"],
      { perms: ["--allow-net", `--allow-read=${certs!.dir}`] },
    );
    await using _client = proc;
    await proc.waitFor(/client: connecting to 127\.0\.0\.1\n/);
    const t0 = performance.now();
    proc.kill("SIGINT");
    // The handshake's own deadline is 10 s: well before it, or SIGKILL (137) fails this.
    const code = await proc.exit(5_000);
    const ms = performance.now() - t0;
    assertEquals(code, 130, proc.stderr);
    assertEquals(proc.stderr, "client: interrupted\n");
    assertEquals(proc.stdout, "client: connecting to 127.0.0.1\n");
    assert(ms < 5_000, `took ${ms} ms`);
  },
});

Deno.test({
  name: "client --tls: a server that does not speak TLS is called that, with what it sent",
  ignore,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    {
      // An HTTP server's answer to the ClientHello, the socket kept open: shown escaped and cut.
      await using server = plainServer(
        "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
      );
      const res = await client([
        "--tls",
        "--ca",
        certs!.ca,
        "-p",
        String(server.port),
        "127.0.0.1",
      ]);
      assertEquals(res.code, 1, res.stderr);
      assertEquals(
        res.stderr,
        "client: tls: the server did not speak TLS: it sent " +
          "'HTTP/1.1 400 Bad Request\\r\\nConten…'\n",
      );
    }
    {
      // Our own plain server, whose greeting comes first.
      const { proc, port } = await startTool("server", ["-H", "127.0.0.1", "-q"]);
      await using _server = proc;
      const res = await client(["--tls", "--ca", certs!.ca, "-p", String(port), "127.0.0.1"]);
      assertEquals(res.code, 1, res.stderr);
      assertEquals(
        res.stderr,
        "client: tls: the server did not speak TLS: it sent 'Hello, world!'\n",
      );
    }
    {
      // Hostile bytes: a terminal sequence is shown, not run, and quotes cannot end the field.
      await using server = plainServer("\x1b]0;pwned\x07'\n");
      const res = await client([
        "--tls",
        "--ca",
        certs!.ca,
        "-p",
        String(server.port),
        "127.0.0.1",
      ]);
      assertEquals(
        res.stderr,
        "client: tls: the server did not speak TLS: it sent '\\x1b]0;pwned\\x07\\'\\n'\n",
      );
    }
  },
});

Deno.test({
  name: "client --tls --servername with a control character: the refusal shows it escaped once",
  ignore,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    const tls = ["--tls", "--cert", certs!.serverCert, "--key", certs!.serverKey];
    const proc = new ToolProcess("server", ["-H", "127.0.0.1", "-p", "0", "-q", ...tls], {
      perms: ["--allow-net", `--allow-read=${certs!.dir}`],
    });
    await using _server = proc;
    const port = await proc.port();
    const res = await client([
      "--tls",
      "--ca",
      certs!.ca,
      "--servername",
      "\x1b[31m",
      "-p",
      String(port),
      "127.0.0.1",
    ]);
    assertEquals(res.code, 2, res.stderr);
    assertEquals(
      res.stderr,
      'client: tls: certificate is not valid for "\\x1b[31m" (NotValidForName)\n',
    );
  },
});

Deno.test({
  name: "client --tls: PEM on stdin in the wrong order says the order expected",
  ignore,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    const read = (path: string) => Deno.readTextFileSync(path);
    const [cert, key, ca] = [read(certs!.clientCert), read(certs!.clientKey), read(certs!.ca)];
    // The key before the chain: the certificate is there, only out of place.
    const keyFirst = await client(
      ["--tls", "--cert", "-", "--key", "-", "-p", "1", "127.0.0.1"],
      bytes(key + cert),
    );
    assertEquals(keyFirst.code, 1, keyFirst.stderr);
    assertEquals(
      keyFirst.stderr,
      "client: Cannot use stdin for --cert, --key: the PEM blocks are out of order (found a " +
        "private key, then a certificate): give the certificate chain, then the private key, " +
        "then the CA certificates (cat cert.pem key.pem | …)\n",
    );
    // The CA first: the CAs must come after the key.
    const caFirst = await client(
      ["--tls", "--cert", "-", "--key", "-", "--ca", "-", "-p", "1", "127.0.0.1"],
      bytes(ca + cert + key),
    );
    assertEquals(caFirst.code, 1, caFirst.stderr);
    assertMatch(
      caFirst.stderr,
      /^client: Cannot use stdin for --cert, --key, --ca: the PEM blocks are out of order \(found 2 certificates, then a private key\): .*\(cat cert\.pem key\.pem ca\.pem \| …\)\n$/,
    );
    // No certificate at all is still called that.
    const none = await client(
      ["--tls", "--cert", "-", "--key", "-", "-p", "1", "127.0.0.1"],
      bytes(key),
    );
    assertMatch(none.stderr, /^client: Cannot use --cert stdin: no PEM certificate in it\n$/);
  },
});
