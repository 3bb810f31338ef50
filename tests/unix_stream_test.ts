// Unix stream sockets in the library, against real peers: nc -U (OpenBSD), socat UNIX-* and
// ABSTRACT-*, and python3 leaving a stale socket file or holding a live one.
import { assert, assertEquals, assertRejects, errorOf } from "./_assert.ts";
import { bytes } from "../testing/text.ts";
import { GrantError, NetError, type Step } from "../mod.ts";
import { dialUnix, listenUnix } from "../unix.ts";
import { callText, explainLine } from "../lib/cli/explain.ts";
import { exists, peers, runScript, startPeer, tempDir, waitForSocket } from "./_unix.ts";

const HELLO = bytes("Hello, world!");

/** Reads until end of stream, bounded. */
async function readToEnd(conn: Deno.Conn, timeout = 10_000): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  const end = setTimeout(() => conn.close(), timeout);
  try {
    for (let n; (n = await conn.read(buf)) !== null;) chunks.push(buf.slice(0, n));
  } finally {
    clearTimeout(end);
  }
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let off = 0;
  for (const c of chunks) (out.set(c, off), off += c.length);
  return out;
}

Deno.test({
  name: "listenUnix() greets nc -U with exactly the 13 bytes, and removes its file at close",
  ignore: !peers.nc,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/greet.sock`;
    const steps: Step[] = [];
    {
      using listener = await listenUnix(path, { onStep: (s) => steps.push(s) });
      await using nc = startPeer("nc", ["-U", path]);
      const conn = await listener.accept();
      assertEquals(conn.remoteAddr.path ?? null, null); // nc's end is unnamed
      await conn.write(HELLO);
      conn.close();
      const out = await nc.done;
      assertEquals(out.stdout, HELLO, out.stderr);
    }
    assertEquals(await exists(path), false);
    const temporary = /^bind\("(.*\/\.sk-\d+-[0-9a-z]+\.sock)"\)$/.exec(callText(steps[1]!))?.[1];
    assertEquals(steps.map(callText), [
      "socket(AF_UNIX, SOCK_STREAM)",
      `bind("${temporary}")`,
      `link("${path}")`,
      `unlink("${temporary}")`,
      "listen(backlog 511)",
      "close()",
      `unlink("${path}")`,
    ]);
    assertEquals(temporary?.startsWith(`${dir.path}/.sk-${Deno.pid}-`), true);
  },
});

Deno.test({
  name: "dialUnix() talks to socat UNIX-LISTEN: what is sent comes back byte for byte",
  ignore: !peers.socat,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/echo.sock`;
    await using _socat = startPeer("socat", [`UNIX-LISTEN:${path}`, "PIPE"]);
    await waitForSocket(path);
    const binary = new Uint8Array(4096).map((_, i) => i & 255);
    using conn = await dialUnix(path, { timeout: 5000 });
    assertEquals(conn.remoteAddr.path, path);
    await conn.write(binary);
    await conn.closeWrite();
    assertEquals(await readToEnd(conn), binary);
  },
});

Deno.test({
  name: "socat UNIX-CONNECT reads our listener's greeting",
  ignore: !peers.socat,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/greet.sock`;
    using listener = await listenUnix(path);
    await using socat = startPeer("socat", ["-u", `UNIX-CONNECT:${path}`, "-"]);
    const conn = await listener.accept();
    await conn.write(HELLO);
    conn.close();
    const out = await socat.done;
    assertEquals(out.stdout, HELLO, out.stderr);
  },
});

Deno.test({
  name:
    "an abstract name (@name) works both ways with socat ABSTRACT-LISTEN/CONNECT, and leaves no file",
  ignore: !peers.socat,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    const name = `socketkit-test-${Deno.pid}-${Date.now()}`;
    {
      using listener = await listenUnix(`@${name}`);
      assertEquals([listener.address.path, listener.address.display], [`\0${name}`, `@${name}`]);
      await using socat = startPeer("socat", ["-u", `ABSTRACT-CONNECT:${name}`, "-"]);
      const conn = await listener.accept();
      await conn.write(HELLO);
      conn.close();
      assertEquals((await socat.done).stdout, HELLO);
    }
    await using _socat = startPeer("socat", [`ABSTRACT-LISTEN:${name}-2`, "PIPE"]);
    // An abstract name has no file to wait for: dial until the peer listens (bounded).
    let conn: Deno.UnixConn | undefined;
    for (const end = performance.now() + 10_000; !conn && performance.now() < end;) {
      conn = await dialUnix(`@${name}-2`, { timeout: 2000 }).catch(async (e) => {
        assert(e instanceof NetError && /connection refused/.test(e.message), String(e));
        await new Promise((r) => setTimeout(r, 20));
        return undefined;
      });
    }
    assert(conn, "socat never listened");
    await conn.write(HELLO);
    await conn.closeWrite();
    assertEquals(await readToEnd(conn), HELLO);
    conn.close();
  },
});

Deno.test({
  name:
    "listenUnix() takes over a stale socket file, refuses a live one, and never removes a plain file",
  ignore: !peers.python3,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const stale = `${dir.path}/stale.sock`;
    // python3 binds, listens and exits without unlinking: a stale file, as after a kill -9.
    const left = await startPeer("python3", [
      "-c",
      `import socket; s = socket.socket(socket.AF_UNIX); s.bind(${
        JSON.stringify(stale)
      }); s.listen()`,
    ]).done;
    assertEquals([left.code, (await Deno.lstat(stale)).isSocket], [0, true], left.stderr);
    const steps: string[] = [];
    {
      const onStep = (s: Step) => s.phase !== "start" && steps.push(explainLine(s, 0));
      using taken = await listenUnix(stale, { onStep });
      assertEquals(taken.addr.path, stale);
      // Bound to a temporary name beside it, linked to the path once the stale file is gone.
      const temporary = `${dir.path}/.sk-${Deno.pid}-`;
      assertEquals(
        steps.slice(0, 8).map((line) =>
          line.split("  //")[0]!.replace(/-[0-9a-z]+\.sock/, ".sock")
        ),
        [
          "+0.0ms socket(AF_UNIX, SOCK_STREAM) -> fd",
          `+0.0ms bind("${temporary.slice(0, -1)}.sock")`,
          `+0.0ms link("${stale}") -> EEXIST (File exists)`,
          `+0.0ms connect("${stale}") -> ECONNREFUSED (Connection refused)`,
          `+0.0ms unlink("${stale}")`,
          `+0.0ms link("${stale}")`,
          `+0.0ms unlink("${temporary.slice(0, -1)}.sock")`,
          "+0.0ms listen(backlog 511)",
        ],
      );
      const conn = await dialUnix(stale, { timeout: 5000 });
      assertEquals(conn.remoteAddr.path, stale); // not the temporary name the kernel reports
      conn.close();
    }
    assertEquals(await exists(stale), false);

    const live = `${dir.path}/live.sock`;
    await using _holder = startPeer("python3", [
      "-c",
      `import socket, time; s = socket.socket(socket.AF_UNIX); s.bind(${
        JSON.stringify(live)
      }); s.listen(); time.sleep(30)`,
    ]);
    await waitForSocket(live);
    await assertRejects(
      () => listenUnix(live),
      errorOf(NetError, new RegExp(`^NetError: listen unix ${live}: address already in use$`)),
    );
    assert((await Deno.lstat(live)).isSocket, "a live socket's file was removed");

    const plain = `${dir.path}/plain.txt`;
    await Deno.writeTextFile(plain, "keep me");
    await assertRejects(
      () => listenUnix(plain),
      errorOf(NetError, /address already in use: the file is not a socket$/),
    );
    assertEquals(await Deno.readTextFile(plain), "keep me");
  },
});

Deno.test({
  name: "a missing grant is one error naming every flag to add, for listening and for dialing",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/g.sock`;
    const script = `
      import { GrantError } from "socketkit";
      import { dialUnix, listenUnix } from "socketkit/unix";
      for (const run of [() => listenUnix(${JSON.stringify(path)}), () => dialUnix(${
      JSON.stringify(path)
    })]) {
        const err = await run().then(() => undefined, (e) => e);
        console.log(err instanceof GrantError, err?.message);
      }`;
    const none = await runScript(script, [], dir.path);
    assertEquals(none.stdout.split("\n").slice(0, 2), [
      `true listen unix ${path}: permission denied: run again with --allow-read=${path} --allow-write=${path} --allow-net=unix:${path}`,
      `true dial unix ${path}: permission denied: run again with --allow-read=${path} --allow-write=${path} --allow-net=unix:${path}`,
    ], none.stderr);
    const some = await runScript(script, ["--allow-net", `--allow-read=${path}`], dir.path);
    assertEquals(some.stdout.split("\n").slice(0, 2), [
      `true listen unix ${path}: permission denied: run again with --allow-write=${path}`,
      `true dial unix ${path}: permission denied: run again with --allow-write=${path}`,
    ], some.stderr);
    assert(GrantError.prototype instanceof NetError);
  },
});

Deno.test({
  name: "dialUnix(): no file, nobody listening, a cancelled signal, an invalid path",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    await assertRejects(
      () => dialUnix(`${dir.path}/none.sock`),
      errorOf(NetError, /^NetError: dial unix .*none\.sock: no such file or directory$/),
    );
    const stale = `${dir.path}/stale.sock`;
    await startPeer("python3", [
      "-c",
      `import socket; s = socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(stale)})`,
    ]).done;
    await assertRejects(
      () => dialUnix(stale),
      errorOf(NetError, /^NetError: dial unix .*stale\.sock: connection refused$/),
    );
    const stop = new AbortController();
    stop.abort(new Error("stopped"));
    await assertRejects(() => dialUnix(stale, { signal: stop.signal }), /stopped/);
    await assertRejects(
      () => dialUnix(`/tmp/${"x".repeat(120)}`),
      errorOf(
        NetError,
        /^NetError: dial unix \/tmp\/x+: file name too long: 125 bytes, at most 107$/,
      ),
    );
  },
});

/** Lets a closed listener's pending accept settle, and what Deno does after it happen. */
async function settled(pending: Promise<unknown>): Promise<void> {
  await pending;
  for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 0));
}

Deno.test({
  name:
    "listenUnix() at close leaves alone what was put at its path since: a plain file, another listener's socket",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/s.sock`;
    {
      const steps: Step[] = [];
      const first = await listenUnix(path, { onStep: (s) => steps.push(s) });
      const waiting = first.accept().catch(() => null); // as a server waits
      await Deno.remove(path);
      await Deno.writeTextFile(path, "precious");
      first.close();
      await settled(waiting);
      assertEquals(await Deno.readTextFile(path), "precious");
      assertEquals(steps.at(-1)?.call, "close"); // no unlink: the file is not its own
      await Deno.remove(path);
    }
    {
      const first = await listenUnix(path);
      const waiting = first.accept().catch(() => null);
      await Deno.remove(path);
      const steps: Step[] = [];
      const second = await listenUnix(path, { onStep: (s) => steps.push(s) });
      const accepted = second.accept();
      first.close();
      await settled(waiting);
      using conn = await dialUnix(path, { timeout: 5000 }); // the second is still reachable
      (await accepted).close();
      second.close();
      assertEquals(await exists(path), false); // which removes its own file at close
      assertEquals(steps.slice(-2).map(callText), ["close()", `unlink("${path}")`]);
      assertEquals(conn.remoteAddr.path, path);
    }
  },
});

Deno.test({
  name:
    "listenUnix() refuses every symbolic link at its path (dangling, to a file, to a stale or a live socket) and removes none",
  ignore: !peers.python3,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const plain = `${dir.path}/plain.txt`;
    await Deno.writeTextFile(plain, "keep me");
    const stale = `${dir.path}/stale.sock`;
    const left = await startPeer("python3", [
      "-c",
      `import socket; s = socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(stale)})`,
    ]).done;
    assertEquals(left.code, 0, left.stderr);
    await using live = await listenUnix(`${dir.path}/live.sock`);
    for (const target of [`${dir.path}/nowhere`, plain, stale, `${dir.path}/live.sock`]) {
      const path = `${dir.path}/link.sock`;
      await Deno.symlink(target, path);
      await assertRejects(
        () => listenUnix(path),
        errorOf(
          NetError,
          new RegExp(
            `^NetError: listen unix ${path}: address already in use: the file is a symbolic link$`,
          ),
        ),
      );
      assertEquals([(await Deno.lstat(path)).isSymlink, await Deno.readLink(path)], [true, target]);
      await Deno.remove(path);
    }
    assertEquals(await Deno.readTextFile(plain), "keep me");
    assertEquals((await Deno.lstat(stale)).isSocket, true);
    assertEquals(live.addr.path, `${dir.path}/live.sock`);
  },
});

Deno.test({
  name:
    "a path that is not valid UTF-8 (U+FFFD after Deno's decoding) is refused, not another file used",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/caf\uFFFD.sock`;
    for (const run of [() => listenUnix(path), () => dialUnix(path)]) {
      await assertRejects(
        run,
        errorOf(
          NetError,
          /: invalid argument: the path has U\+FFFD in it \(what Deno shows for bytes that are not UTF-8\)$/,
        ),
      );
    }
    assertEquals(await exists(path), false);
  },
});

Deno.test({
  name:
    "listenUnix() granted only its path (not the directory) binds the path itself, serves, and its file is gone at close",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/only.sock`;
    const script = `
      import { callText } from ${
      JSON.stringify(new URL("../lib/cli/explain.ts", import.meta.url).href)
    };
      import { dialUnix, listenUnix } from "socketkit/unix";
      const calls = [];
      {
        using listener = await listenUnix(${
      JSON.stringify(path)
    }, { onStep: (s) => calls.push(callText(s)) });
        const accepted = listener.accept();
        using conn = await dialUnix(${JSON.stringify(path)}, { timeout: 5000 });
        (await accepted).close();
      }
      const gone = await Deno.lstat(${JSON.stringify(path)}).then(() => false, () => true);
      console.log(JSON.stringify({ calls, gone }));`;
    const grantsOfPath = [`--allow-read=${path}`, `--allow-write=${path}`, "--allow-net"];
    const out = await runScript(script, grantsOfPath, dir.path);
    assertEquals(JSON.parse(out.stdout || "null"), {
      calls: [
        "socket(AF_UNIX, SOCK_STREAM)",
        `bind("${path}")`,
        "listen(backlog 511)",
        "close()",
        `unlink("${path}")`, // Deno's close removes it
      ],
      gone: true,
    }, out.stderr);
  },
});
