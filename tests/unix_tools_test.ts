// The four tools over Unix sockets, against real peers: nc -U (OpenBSD) and socat
// UNIX-LISTEN, UNIX-CONNECT, UNIX-SENDTO, UNIX-RECVFROM and ABSTRACT-*.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { runTool, toolArgs, ToolProcess } from "./_tools.ts";
import { bytes } from "../testing/text.ts";
import { waitUntil } from "../testing/ready.ts";
import { exists, peers, startPeer, tempDir, waitForSocket } from "./_unix.ts";
import { parseEvents } from "./_events.ts";
import { runWithInput } from "../testing/run_with_input.ts";

/** The grants a tool over a path in `dir` needs. */
const grants = (dir: string) => ["--allow-net", `--allow-read=${dir}`, `--allow-write=${dir}`];

Deno.test({
  name:
    "server -U takes over a stale file, greets nc -U, refuses a second server on the live path (exit 2), removes its file",
  ignore: !peers.nc || !peers.python3,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/s.sock`;
    // A stale file, as a killed server leaves it: taken over.
    const left = await startPeer("python3", [
      "-c",
      `import socket; s = socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(path)})`,
    ]).done;
    assertEquals([left.code, await exists(path)], [0, true], left.stderr);
    {
      await using server = new ToolProcess("server", ["-U", path], { perms: grants(dir.path) });
      await server.waitFor(/waiting for connections/);
      const nc = await startPeer("nc", ["-U", "-N", path]).done;
      assertEquals(nc.stdout, bytes("Hello, world!"), nc.stderr);
      await server.waitFor(/got connection from unnamed\n/);
      const second = await runTool("server", ["-U", path], { perms: grants(dir.path) });
      assertEquals([second.code, second.stderr], [
        2,
        `server: bind: Address already in use (${path})\nserver: failed to bind\n`,
      ]);
      server.child.kill("SIGTERM");
      assertEquals(await server.exit(), 0);
    }
    assertEquals(await exists(path), false);
  },
});

Deno.test({
  name:
    "server -U --echo with client -U --send, --json, -z; a missing grant names the flag (exit 4)",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/e.sock`;
    await using server = new ToolProcess("server", ["-U", path, "--echo"], {
      perms: grants(dir.path),
    });
    await server.waitFor(/waiting for connections/);
    const sent = await runTool("client", ["-U", path, "--send", "hi there"], {
      perms: grants(dir.path),
    });
    assertEquals(
      [sent.code, sent.stdout],
      [0, `client: connecting to ${path}\nclient: received 'hi there'\n`],
      sent.stderr,
    );
    const json = await runTool("client", ["-U", path, "--send", "x", "--json"], {
      perms: grants(dir.path),
    });
    const events = json.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(events.map((e) => e.event), ["connected", "sent", "received"]);
    assertEquals(events[0].address, { address: path, port: 0, family: "unix" });
    const probe = await runTool("client", ["-U", path, "-z"], { perms: grants(dir.path) });
    assertEquals(probe.code, 0, probe.stderr);
    const denied = await runTool("client", ["-U", path], { perms: ["--allow-net"] });
    assertEquals([denied.code, denied.stderr], [
      4,
      `client: dial unix ${path}: permission denied: run again with --allow-read=${path} --allow-write=${path}\n`,
    ]);
    const none = await runTool("client", ["-U", `${dir.path}/none.sock`], {
      perms: grants(dir.path),
    });
    assertEquals(none.code, 2);
    assert(none.stderr.includes("connect: No such file or directory"), none.stderr);
  },
});

Deno.test({
  name:
    "client -U reads socat UNIX-LISTEN's bytes; server -U is read by socat UNIX-CONNECT; --explain names AF_UNIX",
  ignore: !peers.socat,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/socat.sock`;
    {
      await using _socat = startPeer("socat", [`UNIX-LISTEN:${path}`, "SYSTEM:printf from-socat"]);
      await waitForSocket(path);
      const res = await runTool("client", ["-U", path, "--explain"], { perms: grants(dir.path) });
      assertEquals(res.code, 0, res.stderr);
      assert(res.stdout.endsWith("client: received 'from-socat'\n"), res.stdout);
      assert(res.stderr.includes("socket(AF_UNIX, SOCK_STREAM)"), res.stderr);
      assert(res.stderr.includes(`connect("${path}") -> connected`), res.stderr);
    }
    const own = `${dir.path}/own.sock`;
    await using server = new ToolProcess("server", ["-U", own, "--explain"], {
      perms: grants(dir.path),
    });
    await server.waitFor(/waiting for connections/);
    assert(server.stderr.includes(`link("${own}")`), server.stderr);
    const socat = await startPeer("socat", ["-u", `UNIX-CONNECT:${own}`, "-"]).done;
    assertEquals(socat.stdout, bytes("Hello, world!"), socat.stderr);
  },
});

Deno.test({
  name:
    "listener -U prints socat UNIX-SENDTO's datagram from an unnamed sender and echoes talker -U --reply",
  ignore: !peers.socat,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/l.dgram`;
    {
      await using listener = new ToolProcess("listener", ["-U", path, "-c", "1"], {
        perms: grants(dir.path),
      });
      await listener.waitFor(/waiting to recvfrom/);
      await startPeer("socat", ["-u", "-", `UNIX-SENDTO:${path}`], bytes("hi\x1b")).done;
      assertEquals(await listener.exit(), 0);
      assertEquals(
        listener.stdout,
        "listener: waiting to recvfrom...\nlistener: got packet from unnamed\n" +
          'listener: packet is 3 bytes long\nlistener: packet contains "hi\\x1b"\n',
      );
    }
    assertEquals(await exists(path), false);
    await using echo = new ToolProcess("listener", ["-U", path, "--echo", "-k", "-q"], {
      perms: grants(dir.path),
    });
    await echo.waitFor(/waiting to recvfrom/);
    const ping = await runTool("talker", ["-U", path, "-r", "5", "ping"], {
      perms: grants(dir.path),
    });
    assertEquals(ping.code, 0, ping.stderr);
    assertEquals(
      ping.stdout,
      `talker: connected to ${path}\ntalker: sent 4 bytes to ${path}\n` +
        `talker: got reply from ${path}\ntalker: reply is 4 bytes long\n` +
        'talker: reply contains "ping"\n',
    );
    // The talker's temporary path is gone: only the listener's file is left.
    assertEquals([...Deno.readDirSync(dir.path)].map((e) => e.name), ["l.dgram"]);
  },
});

Deno.test({
  name:
    "talker -U sends to socat UNIX-RECVFROM, gets ABSTRACT-RECVFROM's answer, and pings a socat echo",
  ignore: !peers.socat,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/r.dgram`;
    {
      await using socat = startPeer("socat", ["-u", `UNIX-RECVFROM:${path}`, "-"]);
      await waitForSocket(path);
      const res = await runTool("talker", ["-U", path, "to socat"], { perms: grants(dir.path) });
      assertEquals([res.code, res.stdout], [0, `talker: sent 8 bytes to ${path}\n`], res.stderr);
      assertEquals((await socat.done).stdout, bytes("to socat"));
    }
    const name = `socketkit-tools-${Deno.pid}-${Date.now()}`;
    await using _echo = startPeer("socat", [`ABSTRACT-RECVFROM:${name}`, "PIPE"]);
    // No file to wait for: send until socat is bound (a refused send fails at once), bounded.
    const args = ["-U", `@${name}`, "-r", "2", "abstract"];
    let ping = await runTool("talker", args);
    for (let i = 0; i < 50 && ping.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      ping = await runTool("talker", args);
    }
    assertEquals(ping.code, 0, ping.stderr);
    assert(ping.stdout.endsWith('talker: reply contains "abstract"\n'), ping.stdout);
    // The ping: each request goes out while the receive for the last one still waits.
    const forked = `socketkit-tools-fork-${Deno.pid}-${Date.now()}`;
    await using _forked = startPeer("socat", [`ABSTRACT-RECVFROM:${forked},fork`, "PIPE"]);
    const pingArgs = ["-U", `@${forked}`, "-n", "3", "-i", "50ms", "-r", "2", "x"];
    let many = await runTool("talker", pingArgs);
    for (let i = 0; i < 50 && many.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      many = await runTool("talker", pingArgs);
    }
    assertEquals(many.code, 0, many.stderr);
    assert(many.stdout.includes("talker: 3 sent, 3 replies, 0% lost"), many.stdout);
  },
});

Deno.test({
  name:
    "the ping over -U: our listener --echo answers -n and --lines; a silent peer gets every request and the run ends 3",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/e.dgram`;
    {
      await using echo = new ToolProcess("listener", ["-U", path, "--echo", "-k", "-q"], {
        perms: grants(dir.path),
      });
      await echo.waitFor(/waiting to recvfrom/);
      const ping = await runTool("talker", ["-U", path, "-n", "4", "-i", "30ms", "-r", "2", "p"], {
        perms: grants(dir.path),
      });
      assertEquals(ping.code, 0, ping.stderr);
      for (let seq = 1; seq <= 4; seq++) {
        assertMatch(ping.stdout, new RegExp(`1 bytes from ${path}: seq=${seq} time=`));
      }
      assertMatch(ping.stdout, /talker: 4 sent, 4 replies, 0% lost, rtt/);
      const lines = await runWithInput(
        Deno.execPath(),
        toolArgs("talker", ["-U", path, "--lines", "-r", "2"], grants(dir.path)),
        bytes("one\ntwo\nthree\n"),
      );
      assertEquals(lines.code, 0, lines.stderr);
      assertMatch(new TextDecoder().decode(lines.stdout), /talker: 3 sent, 3 replies, 0% lost/);
    }
    // A peer that reads and never answers: each request must still go out while the
    // previous one's receive waits (Deno's "Socket already in use" otherwise).
    const silent = Deno.listenDatagram({ transport: "unixpacket", path: `${dir.path}/s.dgram` });
    try {
      const got: string[] = [];
      const reading = (async () => {
        for (let i = 0; i < 3; i++) got.push(new TextDecoder().decode((await silent.receive())[0]));
      })();
      const ping = await runTool(
        "talker",
        ["-U", `${dir.path}/s.dgram`, "-n", "3", "-i", "100ms", "-r", "300ms", "q"],
        { perms: grants(dir.path) },
      );
      assertEquals(ping.code, 3, ping.stderr);
      assertMatch(ping.stdout, /talker: 3 sent, 0 replies, 100% lost/);
      assert(!ping.stderr.includes("in use"), ping.stderr);
      await reading;
      assertEquals(got, ["q", "q", "q"]);
    } finally {
      silent.close();
    }
    // The talkers' temporary paths are gone: only the peers' files are left.
    assertEquals([...Deno.readDirSync(dir.path)].map((e) => e.name).sort(), ["e.dgram", "s.dgram"]);
  },
});

Deno.test({
  name:
    "--json over Unix sockets: every tool's events name the path (family unix) and pass the schema",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const stream = `${dir.path}/j.sock`;
    const dgram = `${dir.path}/j.dgram`;
    await using server = new ToolProcess("server", ["-U", stream, "--echo", "--json"], {
      perms: grants(dir.path),
    });
    await server.waitFor(/"event":"listening"/);
    const client = await runTool("client", ["-U", stream, "--send", "j", "--json"], {
      perms: grants(dir.path),
    });
    assertEquals(client.code, 0, client.stderr);
    const sent = parseEvents(client.stdout).find((e) => e.event === "sent")!;
    assertEquals(sent.to, { address: stream, port: 0, family: "unix" });
    await server.waitFor(/"event":"connection"/);
    server.child.kill("SIGTERM");
    assertEquals(await server.exit(), 0);
    const served = parseEvents(server.stdout);
    assertEquals(served[0]!.address, { address: stream, port: 0, family: "unix" });
    assertEquals(served.find((e) => e.event === "connection")!.from, {
      address: "unnamed",
      port: 0,
      family: "unix",
    });

    await using listener = new ToolProcess(
      "listener",
      ["-U", dgram, "--echo", "-c", "1", "--json"],
      {
        perms: grants(dir.path),
      },
    );
    await listener.waitFor(/"event":"listening"/);
    const talker = await runTool("talker", ["-U", dgram, "-r", "5", "--json", "t"], {
      perms: grants(dir.path),
    });
    assertEquals(talker.code, 0, talker.stderr);
    const reply = parseEvents(talker.stdout).find((e) => e.event === "reply")!;
    assertEquals(reply.from, { address: dgram, port: 0, family: "unix" });
    assertEquals(await listener.exit(), 0);
    const datagram = parseEvents(listener.stdout).find((e) => e.event === "datagram")!;
    assertEquals((datagram.from as { family: string }).family, "unix");
    assert(/\/socketkit-\d+-[0-9a-z]+\.sock$/.test((datagram.from as { address: string }).address));
  },
});

Deno.test({
  name:
    "client -U with no grant: the flags its hint names, pasted into a shell, are enough (a path with a space, quoted)",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/my sock's.sock`;
    await using server = new ToolProcess("server", ["-U", path], { perms: grants(dir.path) });
    await server.waitFor(/waiting for connections/);
    const quoted = `'${dir.path}/my sock'\\''s.sock'`;
    for (const perms of [[], ["--allow-net"]]) {
      const denied = await runTool("client", ["-U", path], { perms });
      const hint = /: permission denied: run again with (.*)\n$/.exec(denied.stderr)?.[1];
      assertEquals(
        [denied.code, hint],
        [
          4,
          `--allow-read=${quoted} --allow-write=${quoted}${
            perms.length ? "" : ` --allow-net=unix:${quoted}`
          }`,
        ],
        denied.stderr,
      );
      // Run again as a user pastes it: the shell reads the hint's flags.
      const argv = toolArgs("client", ["-U", path], perms);
      const script = argv.indexOf("--quiet") + 1;
      const line = `exec "$0" ${argv.slice(0, script).join(" ")} ${hint} "$@"`;
      const pasted = await new Deno.Command("bash", {
        args: ["-c", line, Deno.execPath(), ...argv.slice(script)],
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(20_000),
      }).output();
      const out = new TextDecoder().decode(pasted.stdout);
      assertEquals(
        [pasted.code, out.endsWith("client: received 'Hello, world!'\n")],
        [0, true],
        new TextDecoder().decode(pasted.stderr),
      );
    }
  },
});

Deno.test({
  name:
    "server -U at stop removes its own file only: a file put at its path since, or another server's socket, stays",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/s.sock`;
    {
      await using server = new ToolProcess("server", ["-U", path], { perms: grants(dir.path) });
      await server.waitFor(/waiting for connections/);
      await Deno.remove(path);
      await Deno.writeTextFile(path, "precious");
      server.child.kill("SIGTERM");
      assertEquals(await server.exit(), 0);
      assertEquals(await Deno.readTextFile(path), "precious");
      await Deno.remove(path);
    }
    await using first = new ToolProcess("server", ["-U", path], { perms: grants(dir.path) });
    await first.waitFor(/waiting for connections/);
    await Deno.remove(path);
    await using second = new ToolProcess("server", ["-U", path, "--explain"], {
      perms: grants(dir.path),
    });
    await second.waitFor(/waiting for connections/);
    first.child.kill("SIGTERM");
    assertEquals(await first.exit(), 0);
    const client = await runTool("client", ["-U", path], { perms: grants(dir.path) });
    assertEquals(
      [client.code, client.stdout.endsWith("'Hello, world!'\n")],
      [0, true],
      client.stderr,
    );
    second.child.kill("SIGTERM");
    assertEquals(await second.exit(), 0);
    assertEquals(await exists(path), false);
    // --explain shows the calls: bound to a temporary name, linked to the path, removed at stop.
    assert(second.stderr.includes(`link("${path}")`), second.stderr);
    assert(second.stderr.includes(`unlink("${path}")`), second.stderr);
  },
});

Deno.test({
  name:
    "server -U with a path that is not valid UTF-8 is refused, and the file its lossy decoding names is left alone",
  ignore: !peers.python3,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    // Deno reads the argument byte 0xff as U+FFFD: a stale socket file at that other name.
    const lossy = `${dir.path}/\uFFFD.sock`;
    const left = await startPeer("python3", [
      "-c",
      `import socket; s = socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(lossy)})`,
    ]).done;
    assertEquals([left.code, await exists(lossy)], [0, true], left.stderr);
    const ino = (await Deno.lstat(lossy)).ino;
    const argv = toolArgs("server", ["-U"], grants(dir.path));
    const res = await new Deno.Command("bash", {
      args: ["-c", `exec "$0" "$@" "$(printf '%s/\\377.sock' "$DIR")"`, Deno.execPath(), ...argv],
      env: { DIR: dir.path },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(20_000),
    }).output();
    const stderr = new TextDecoder().decode(res.stderr);
    assertEquals(res.code, 2, stderr);
    assert(stderr.includes("the path has U+FFFD in it"), stderr);
    assertEquals((await Deno.lstat(lossy)).ino, ino);
  },
});

Deno.test("talker -U with a relative path, run from another directory than the listener's, gets its reply", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/sub`);
    const perms = ["--allow-net", `--allow-read=${dir}`, `--allow-write=${dir}`];
    await using listener = new ToolProcess("listener", ["-U", `${dir}/x.sock`, "--echo"], {
      perms,
    });
    await listener.waitFor(/waiting to recvfrom/);
    const talker = await new Deno.Command(Deno.execPath(), {
      args: toolArgs("talker", ["-U", "../x.sock", "-r", "2s", "rel"], perms),
      cwd: `${dir}/sub`,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(talker.stdout);
    assertEquals(talker.code, 0, out + new TextDecoder().decode(talker.stderr));
    assertMatch(out, /reply contains "rel"\n/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "listener -U --echo: a peer that never reads (its queue full) stalls one reply for 500 ms, not the listener; talker -U to it fails, never hangs",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/l.dgram`;
    await using echo = new ToolProcess("listener", ["-U", path, "--echo", "-k", "-q"], {
      perms: grants(dir.path),
    });
    await echo.waitFor(/waiting to recvfrom/);
    // The hostile peer: bound (so it can be answered), sends 30 datagrams, reads none.
    const hostile = Deno.listenDatagram({ transport: "unixpacket", path: `${dir.path}/h` });
    try {
      for (let i = 0; i < 30; i++) {
        await hostile.send(new Uint8Array(100), { transport: "unixpacket", path }).catch(() => {});
      }
      const honest = await runTool("talker", ["-U", path, "-r", "5", "honest"], {
        perms: grants(dir.path),
      });
      assertEquals(honest.code, 0, honest.stderr);
      assert(honest.stdout.endsWith('talker: reply contains "honest"\n'), honest.stdout);
      // Our talker against a receiver that reads nothing: a clear error once its queue is
      // full, not a hang (each send is given 500 ms); exit 1, a send error.
      const stuck = await runTool("talker", ["-U", `${dir.path}/h`, "-n", "40", "x"], {
        perms: grants(dir.path),
        timeout: 15_000,
      });
      assertEquals(stuck.code, 1, stuck.stderr);
      assertMatch(
        stuck.stderr,
        /^talker: write unixgram .*: the receiver's queue stayed full for 500ms: it is not reading/,
      );
    } finally {
      hostile.close();
    }
    echo.kill("SIGINT");
    assertEquals(await echo.exit(), 0);
    // One reply waited 500 ms; the others to that peer failed at once while it still waited.
    assertEquals(echo.stderr.match(/stayed full for 500ms/g)?.length, 1, echo.stderr);
  },
});

/**
 * Asserts that `victim` receives nothing within 500 ms, then stops the listener and checks
 * that it counted its 3 echoes as refused (`unsafe path`).
 */
async function assertNotReflected(victim: Deno.DatagramConn, echo: ToolProcess): Promise<void> {
  const got = victim.receive().then(() => true, () => false); // false once closed
  const timer = new Promise<false>((r) => setTimeout(() => r(false), 500));
  assertEquals(await Promise.race([got, timer]), false);
  echo.kill("SIGINT");
  assertEquals(await echo.exit(), 0, echo.stderr);
  assertMatch(echo.stdout + echo.stderr, /not echoed 3 \(unsafe path 3\)/);
}

/**
 * A stranger run from `cwd`: binds the relative name `name` there (the sender address the
 * kernel then reports) and sends `message` to `target` `count` times, 50 ms apart.
 */
function relativeStranger(cwd: string, name: string, target: string, message: string, count = 5) {
  const script = `import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
for _ in range(${count}):
    try:
        s.sendto(sys.argv[3].encode(), sys.argv[2])
    except OSError:
        pass
    time.sleep(0.05)
`;
  return new Deno.Command("python3", {
    args: ["-c", script, name, target, message],
    cwd,
    stdout: "null",
    stderr: "piped",
  }).output();
}

Deno.test({
  name:
    "a stranger bound to a relative name like the peer's is not taken for the peer (talker) nor answered (listener --echo)",
  ignore: !peers.python3,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    await Deno.mkdir(`${dir.path}/w`);
    // The talker, run from dir, pings "nv.sock" there: a peer that never answers.
    const silent = Deno.listenDatagram({ transport: "unixpacket", path: `${dir.path}/nv.sock` });
    try {
      await using ping = new ToolProcess(
        "talker",
        ["-U", "nv.sock", "-n", "6", "-i", "100ms", "-r", "400ms", "hi"],
        { perms: grants(dir.path), cwd: dir.path },
      );
      let temp: string | undefined;
      await waitUntil(() => {
        temp = [...Deno.readDirSync(dir.path)].find((e) => e.name.startsWith("socketkit-"))?.name;
        return temp !== undefined;
      });
      // From dir/w, a stranger bound to the relative name "nv.sock" answers the talker.
      const sent = await relativeStranger(`${dir.path}/w`, "nv.sock", `${dir.path}/${temp}`, "hi");
      assertEquals(sent.code, 0, new TextDecoder().decode(sent.stderr));
      assertEquals(await ping.exit(), 3, ping.stderr);
      assertMatch(ping.stdout, /6 sent, 0 replies, 100% lost/);
      assertMatch(ping.stdout, /ignored 5 datagrams from other addresses/);
    } finally {
      silent.close();
    }
    // The listener, run from dir, is sent datagrams from a stranger in dir/w bound to the
    // relative name "victim.sock": answering it would reach dir/victim.sock, who sent nothing.
    const victim = Deno.listenDatagram({
      transport: "unixpacket",
      path: `${dir.path}/victim.sock`,
    });
    try {
      await using echo = new ToolProcess("listener", ["-U", "l.dgram", "--echo", "-k"], {
        perms: grants(dir.path),
        cwd: dir.path,
      });
      await echo.waitFor(/waiting to recvfrom/);
      const sent = await relativeStranger(
        `${dir.path}/w`,
        "victim.sock",
        `${dir.path}/l.dgram`,
        "REFLECTED",
        3,
      );
      assertEquals(sent.code, 0, new TextDecoder().decode(sent.stderr));
      await echo.waitFor(/(got packet from victim\.sock[^]*){3}/);
      await assertNotReflected(victim, echo);
    } finally {
      victim.close();
    }
  },
});

Deno.test({
  name:
    "talker -U: a ping cut short by a peer that stops reading says its summary, then the error (exit 1); a long peer path gets an abstract reply name",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/p.dgram`;
    const peer = Deno.listenDatagram({ transport: "unixpacket", path });
    try {
      // Answers the first two requests, then reads no more: its queue fills.
      const answering = (async () => {
        for (let i = 0; i < 2; i++) {
          const [data, from] = await peer.receive();
          await peer.send(data, from);
        }
      })();
      const ping = await runTool("talker", ["-U", path, "-n", "40", "-i", "10ms", "-r", "2", "p"], {
        perms: grants(dir.path),
      });
      await answering;
      assertEquals(ping.code, 1, ping.stderr);
      assertMatch(ping.stdout, /talker: \d+ sent, 2 replies, /);
      assertMatch(ping.stderr, /^talker: write unixgram .*: the receiver's queue stayed full/m);
    } finally {
      peer.close();
    }
    // A peer path so long that a temporary name beside it would not fit in 107 bytes.
    const deep = `${dir.path}/${"d".repeat(100 - dir.path.length - 10)}`;
    await Deno.mkdir(deep);
    const long = `${deep}/l.dgram`;
    await using echo = new ToolProcess("listener", ["-U", long, "--echo", "-k", "-q"], {
      perms: grants(dir.path),
    });
    await echo.waitFor(/waiting to recvfrom/);
    const res = await runTool("talker", ["-U", long, "-r", "5", "deep"], {
      perms: grants(dir.path),
    });
    assertEquals(res.code, 0, res.stderr);
    assert(res.stdout.endsWith('talker: reply contains "deep"\n'), res.stdout);
  },
});

/**
 * A stranger that binds `bound`, then puts a link at that name to `linkTo` (`sym`bolic or
 * `hard`), and sends `message` to `target` 3 times: its sender name now leads to `linkTo`.
 */
function linkingStranger(
  mode: "sym" | "hard",
  bound: string,
  linkTo: string,
  target: string,
  message: string,
) {
  const script = `import os, socket, sys, time
mode, bound, link_to, target, message = sys.argv[1:6]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(bound)
os.remove(bound)
(os.symlink if mode == "sym" else os.link)(link_to, bound)
for _ in range(3):
    s.sendto(message.encode(), target)
    time.sleep(0.05)
`;
  return new Deno.Command("python3", {
    args: ["-c", script, mode, bound, linkTo, target, message],
    stdout: "null",
    stderr: "piped",
  }).output();
}

Deno.test({
  name:
    "a stranger whose sender name is a link to the peer's socket is not the peer (talker); one hard-linked to a victim's socket is not answered (listener --echo)",
  ignore: !peers.python3,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const peerPath = `${dir.path}/l.sock`;
    const silent = Deno.listenDatagram({ transport: "unixpacket", path: peerPath });
    try {
      await using ping = new ToolProcess(
        "talker",
        ["-U", peerPath, "-n", "5", "-i", "100ms", "-r", "400ms", "hello"],
        { perms: grants(dir.path) },
      );
      let temp: string | undefined;
      await waitUntil(() => {
        temp = [...Deno.readDirSync(dir.path)].find((e) => e.name.startsWith("socketkit-"))?.name;
        return temp !== undefined;
      });
      const sent = await linkingStranger(
        "sym",
        `${dir.path}/sym.sock`,
        peerPath,
        `${dir.path}/${temp}`,
        "hello",
      );
      assertEquals(sent.code, 0, new TextDecoder().decode(sent.stderr));
      assertEquals(await ping.exit(), 3, ping.stderr);
      assertMatch(ping.stdout, /5 sent, 0 replies, 100% lost, ignored 3 datagrams/);
    } finally {
      silent.close();
    }
    const victimPath = `${dir.path}/victim.sock`;
    const victim = Deno.listenDatagram({ transport: "unixpacket", path: victimPath });
    try {
      await using echo = new ToolProcess("listener", ["-U", `${dir.path}/e.sock`, "--echo", "-k"], {
        perms: grants(dir.path),
      });
      await echo.waitFor(/waiting to recvfrom/);
      const sent = await linkingStranger(
        "hard",
        `${dir.path}/h.sock`,
        victimPath,
        `${dir.path}/e.sock`,
        "REFLECTED",
      );
      assertEquals(sent.code, 0, new TextDecoder().decode(sent.stderr));
      await echo.waitFor(/(packet contains "REFLECTED"[^]*){3}/);
      await assertNotReflected(victim, echo);
    } finally {
      victim.close();
    }
  },
});

Deno.test({
  name:
    "talker -U through a linked directory or a '..' on the way binds its reply path in the canonical directory: listener --echo answers it",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    await Deno.mkdir(`${dir.path}/a`);
    await Deno.mkdir(`${dir.path}/b`);
    await Deno.symlink(`${dir.path}/a`, `${dir.path}/alnk`);
    const path = `${dir.path}/a/l.sock`;
    await using echo = new ToolProcess("listener", ["-U", path, "--echo", "-k", "-q"], {
      perms: grants(dir.path),
    });
    await echo.waitFor(/waiting to recvfrom/);
    for (const spelling of [`${dir.path}/alnk/l.sock`, `${dir.path}/b/../a/l.sock`]) {
      const res = await runTool("talker", ["-U", spelling, "-r", "5", "x"], {
        perms: grants(dir.path),
      });
      assertEquals(res.code, 0, `${spelling}: ${res.stderr}`);
      assert(res.stdout.endsWith('talker: reply contains "x"\n'), res.stdout);
    }
  },
});

/** The system's default send buffer: what bounds one Unix datagram (Deno reads /proc only with -A). */
const sendBuffer = (() => {
  try {
    const cat = new Deno.Command("cat", { args: ["/proc/sys/net/core/wmem_default"] }).outputSync();
    return cat.success ? Number(new TextDecoder().decode(cat.stdout)) : NaN;
  } catch {
    return NaN;
  }
})();

Deno.test({
  name: "talker -U with a datagram over the send buffer says what bounds it, exit 1",
  ignore: !(sendBuffer < 250_000), // the message must be over it, under -U's 256 KiB
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/l.sock`;
    await using listener = new ToolProcess("listener", ["-U", path], {
      perms: grants(dir.path),
    });
    await listener.waitFor(/waiting to recvfrom/);
    const args = toolArgs("talker", ["-U", path, "-"], grants(dir.path));
    const res = await runWithInput(Deno.execPath(), args, new Uint8Array(250_000).fill(97));
    assertEquals(res.code, 1, res.stderr);
    assertEquals(
      res.stderr,
      `talker: write unixgram ${path}: message too long: one Unix datagram must fit in the sender's send buffer (net.core.wmem_default, 212992 bytes by default)\n`,
    );
  },
});

Deno.test("talker -U without its grants names them quoted for the shell, a path with a space and quotes too", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/a b'c"d`;
  const res = await runTool("talker", ["-U", path, "hi"], { perms: ["--allow-net"] });
  assertEquals(res.code, 4, res.stderr);
  // Pasted into a shell, the flag names the path itself.
  const quoted = `'${dir.path}/a b'\\''c"d'`;
  assert(res.stderr.includes(`run again with --allow-write=${quoted}`), res.stderr);
});
