// Unix datagram sockets in the library, against real peers: socat UNIX-SENDTO,
// UNIX-RECVFROM and ABSTRACT-SENDTO, and python3 leaving a stale file or holding a live one.
import { assert, assertEquals, assertRejects, errorOf } from "./_assert.ts";
import { bytes } from "../testing/text.ts";
import { ConnectedDatagram, NetError } from "../mod.ts";
import {
  bindTemporaryUnixDatagram,
  listenUnixDatagram,
  sameUnixAddr,
  showUnixPath,
} from "../unix.ts";
import { runTool, ToolProcess } from "./_tools.ts";
import { exists, peers, startPeer, tempDir, waitForSocket } from "./_unix.ts";

/** Receives one datagram, failing after `timeout` ms instead of waiting for ever. */
async function receiveWithin(
  sock: Deno.DatagramConn,
  timeout = 10_000,
): Promise<[Uint8Array, Deno.Addr]> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Nothing received in ${timeout}ms`)), timeout);
  });
  try {
    return await Promise.race([sock.receive(), late]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test({
  name:
    "listenUnixDatagram() receives socat UNIX-SENDTO's datagram from an unnamed sender, and removes its file",
  ignore: !peers.socat,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/in.dgram`;
    {
      using sock = await listenUnixDatagram(path);
      const sent = await startPeer("socat", ["-u", "-", `UNIX-SENDTO:${path}`], bytes("hi\x07\n"))
        .done;
      assertEquals(sent.code, 0, sent.stderr);
      const [data, from] = await receiveWithin(sock);
      assertEquals(data, bytes("hi\x07\n"));
      assertEquals(showUnixPath((from as Deno.UnixAddr).path), "unnamed");
    }
    assertEquals(await exists(path), false);
  },
});

Deno.test({
  name:
    "bindTemporaryUnixDatagram() gets socat UNIX-RECVFROM's answer on its own path, removed at close",
  ignore: !peers.socat,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/echo.dgram`;
    await using _socat = startPeer("socat", [`UNIX-RECVFROM:${path}`, "PIPE"]);
    await waitForSocket(path);
    let mine: string;
    {
      using me = await bindTemporaryUnixDatagram(dir.path);
      mine = me.address.path;
      assert(/\/socketkit-\d+-[0-9a-z]+\.sock$/.test(mine), mine);
      const peer: Deno.UnixAddr = { transport: "unixpacket", path };
      await me.send(bytes("ping"), peer);
      const [data, from] = await receiveWithin(me);
      assertEquals([data, sameUnixAddr(from, peer)], [bytes("ping"), true]);
    }
    assertEquals(await exists(mine), false);
  },
});

Deno.test({
  name:
    "abstract datagram names: socat ABSTRACT-SENDTO reaches ours, ABSTRACT-RECVFROM answers our temporary one",
  ignore: !peers.socat,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    const name = `socketkit-dgram-${Deno.pid}-${Date.now()}`;
    using sock = await listenUnixDatagram(`@${name}`);
    assertEquals((sock.addr as Deno.UnixAddr).path, `\0${name}`);
    const sent = await startPeer("socat", ["-u", "-", `ABSTRACT-SENDTO:${name}`], bytes("abs"))
      .done;
    assertEquals(sent.code, 0, sent.stderr);
    assertEquals((await receiveWithin(sock))[0], bytes("abs"));

    // A talker's temporary name can be abstract too: socat ABSTRACT-RECVFROM answers it.
    await using _echo = startPeer("socat", [`ABSTRACT-RECVFROM:${name}-echo`, "PIPE"]);
    using me = await bindTemporaryUnixDatagram("@");
    assertEquals(me.address.abstract, true);
    const peer: Deno.UnixAddr = { transport: "unixpacket", path: `\0${name}-echo` };
    let answer: Uint8Array | undefined;
    for (const end = performance.now() + 10_000; !answer && performance.now() < end;) {
      // No file to wait for: send until socat is bound (refused before), bounded.
      const sent = await me.send(bytes("abs?"), peer).then(() => true, () => false);
      if (!sent) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      // Only socat's answer counts: an abstract name is visible host-wide, anyone may send.
      for (let tries = 0; tries < 100 && !answer; tries++) {
        const [data, from] = await receiveWithin(me);
        if ((from as Deno.UnixAddr).path === peer.path) answer = data;
      }
    }
    assertEquals(answer, bytes("abs?"));
  },
});

Deno.test({
  name: "listenUnixDatagram() takes over a stale datagram file and refuses a live one",
  ignore: !peers.python3,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const stale = `${dir.path}/stale.dgram`;
    const bind = (path: string, wait: string) =>
      `import socket, time; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(${
        JSON.stringify(path)
      }); ${wait}`;
    assertEquals((await startPeer("python3", ["-c", bind(stale, "")]).done).code, 0);
    {
      using taken = await listenUnixDatagram(stale);
      assertEquals((taken.addr as Deno.UnixAddr).path, stale);
    }
    const live = `${dir.path}/live.dgram`;
    await using _holder = startPeer("python3", ["-c", bind(live, "time.sleep(30)")]);
    await waitForSocket(live);
    await assertRejects(
      () => listenUnixDatagram(live),
      errorOf(NetError, new RegExp(`^NetError: listen unixgram ${live}: address already in use$`)),
    );
    assert((await Deno.lstat(live)).isSocket);
  },
});

Deno.test({
  name:
    "ConnectedDatagram with a Unix peer: only the peer's path is answered to; a stranger's datagram is dropped and counted",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    using peer = await listenUnixDatagram(`${dir.path}/peer.dgram`);
    using stranger = await listenUnixDatagram(`${dir.path}/stranger.dgram`);
    using sock = new ConnectedDatagram(
      await bindTemporaryUnixDatagram(dir.path),
      { path: peer.address.path },
    );
    await sock.send(bytes("hi"));
    const [data, from] = await receiveWithin(peer);
    await stranger.send(bytes("spoof"), from); // arrives first
    await peer.send(data, from);
    assertEquals(await sock.receive({ timeout: 5000 }), bytes("hi"));
    assertEquals(sock.ignored, 1);
    assertEquals(sock.peer, { transport: "unixpacket", path: peer.address.path });
    const silent = await sock.receive({ timeout: 50 }).catch((e) => e);
    assertEquals(silent.message, `read unixgram ${peer.address.display}: timed out after 50ms`);
  },
});

// ---- The tools over Unix datagram sockets: the echo's target, its grants, sizes, spellings.

/** The grants a tool over a path in `dir` needs. */
const grants = (dir: string) => ["--allow-net", `--allow-read=${dir}`, `--allow-write=${dir}`];

/** A Unix datagram socket bound to `path` (no file removal: the test may swap it). */
function boundAt(path?: string): Deno.DatagramConn & Disposable {
  const conn = path === undefined
    ? Deno.listenDatagram({ transport: "unixpacket" })
    : Deno.listenDatagram({ transport: "unixpacket", path });
  return Object.assign(conn, {
    [Symbol.dispose]: () => {
      try {
        conn.close();
      } catch { /* closed already */ }
    },
  });
}

/** Nothing arrives on `sock` within `ms` (the receive is ended by the caller's close). */
async function silent(sock: Deno.DatagramConn, ms = 300): Promise<boolean> {
  const got = sock.receive().then(() => false, () => true);
  const quiet = await Promise.race([got, new Promise<boolean>((r) => setTimeout(r, ms, true))]);
  sock.close(); // ends the pending receive
  await got;
  return quiet;
}

Deno.test({
  name:
    "listener -U --echo never echoes to a sender's path swapped for a symbolic link, nor to an unnamed sender",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/l.dgram`;
    // The victim: a socket the sender may not write to (root's /dev/log, say).
    using victim = boundAt(`${dir.path}/victim.dgram`);
    await using listener = new ToolProcess("listener", ["-U", path, "--echo", "-k", "-q"], {
      perms: ["--allow-net", "--allow-read", "--allow-write"],
    });
    await listener.waitFor(/waiting to recvfrom/);
    const to: Deno.UnixAddr = { transport: "unixpacket", path };
    // The attacker binds a path, then swaps the file for a link to the victim, then sends.
    using attacker = boundAt(`${dir.path}/a.dgram`);
    await Deno.remove(`${dir.path}/a.dgram`);
    await Deno.symlink(`${dir.path}/victim.dgram`, `${dir.path}/a.dgram`);
    await attacker.send(bytes("to the victim"), to);
    // An unnamed sender: Deno's own sendto would refuse its empty path with a raw error.
    using unnamed = boundAt();
    await unnamed.send(bytes("nowhere"), to);
    // An honest sender's echo comes after the others were handled (one loop, in order).
    using honest = boundAt(`${dir.path}/h.dgram`);
    await honest.send(bytes("honest"), to);
    const [echo] = await receiveWithin(honest);
    assertEquals(new TextDecoder().decode(echo), "honest");
    assert(await silent(victim), "the echo went to the victim's socket");
    listener.kill("SIGINT");
    assertEquals(await listener.exit(), 0, listener.stderr);
    assertEquals(listener.stderr, "");
    assertEquals(
      listener.stdout,
      "listener: waiting to recvfrom...\n" +
        "listener: received 3 datagrams, 26 bytes, echoed 1, not echoed 2 (unnamed 1, unsafe path 1)\n",
    );
  },
});

Deno.test({
  name:
    "listener -U --echo without a grant on the sender's path says once which flags, counts the echoes failed, goes on",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/l.dgram`;
    await using listener = new ToolProcess("listener", ["-U", path, "--echo", "-k", "-q"], {
      perms: ["--allow-net", `--allow-read=${path}`, `--allow-write=${path}`],
    });
    await listener.waitFor(/waiting to recvfrom/);
    const to: Deno.UnixAddr = { transport: "unixpacket", path };
    using sender = boundAt(`${dir.path}/s.dgram`);
    await sender.send(bytes("one"), to);
    await sender.send(bytes("two"), to);
    await listener.waitFor(/allow-write/, { stderr: true });
    listener.kill("SIGINT");
    assertEquals(await listener.exit(), 0, listener.stderr);
    assertEquals(
      listener.stderr,
      `listener: cannot echo to ${dir.path}/s.dgram: an echo over a path needs --allow-read and --allow-write on the sender's path (plain --allow-read --allow-write for any sender); not echoing to such senders\n`,
    );
    assertEquals(
      listener.stdout,
      "listener: waiting to recvfrom...\n" +
        "listener: received 2 datagrams, 6 bytes, echoed 0, not echoed 2 (failed 2)\n",
    );
    sender.close();
    await Deno.remove(`${dir.path}/s.dgram`);
  },
});

Deno.test({
  name: "listener -U --json reports a 100,000-byte Unix datagram whole, not cut to 65,536",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/l.dgram`;
    await using listener = new ToolProcess("listener", ["-U", path, "-c", "1", "--json"], {
      perms: grants(dir.path),
    });
    await listener.waitFor(/"listening"/);
    using sender = boundAt();
    const big = new Uint8Array(100_000).fill(0x61);
    assertEquals(await sender.send(big, { transport: "unixpacket", path }), 100_000);
    assertEquals(await listener.exit(), 0, listener.stderr);
    const event = listener.stdout.split("\n").map((l) => l && JSON.parse(l))
      .find((e) => e?.event === "datagram");
    assertEquals([event.size, event.truncated], [100_000, false]);
  },
});

Deno.test({
  name:
    "talker -U -r takes the reply from its peer named as /dir/./l.dgram or through a symbolic link",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/l.dgram`;
    await using listener = new ToolProcess("listener", ["-U", path, "--echo", "-k", "-q"], {
      perms: grants(dir.path),
    });
    await listener.waitFor(/waiting to recvfrom/);
    await Deno.symlink(path, `${dir.path}/link.dgram`);
    for (const spelling of [`${dir.path}/./l.dgram`, `${dir.path}/link.dgram`]) {
      const ping = await runTool("talker", ["-U", spelling, "-r", "5", "ping"], {
        perms: grants(dir.path),
      });
      assertEquals(ping.code, 0, ping.stderr);
      assert(ping.stdout.endsWith('talker: reply contains "ping"\n'), ping.stdout);
      assert(!ping.stdout.includes("ignored"), ping.stdout);
    }
    await Deno.remove(`${dir.path}/link.dgram`);
  },
});

Deno.test({
  name: "listener -U --json marks a datagram that fills its 262,145-byte buffer as truncated",
  ignore: !peers.python3,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/l.dgram`;
    await using listener = new ToolProcess("listener", ["-U", path, "-c", "1", "--json"], {
      perms: grants(dir.path),
    });
    await listener.waitFor(/"listening"/);
    // 300,000 bytes: more than the default send buffer allows, so root forces a larger one.
    const sent = await startPeer("python3", [
      "-c",
      `import socket; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 32, 1 << 20)  # SO_SNDBUFFORCE
print(s.sendto(b"a" * 300000, ${JSON.stringify(path)}))`,
    ]).done;
    if (sent.code !== 0) return console.log(`skipped: ${sent.stderr}`); // not root
    assertEquals(new TextDecoder().decode(sent.stdout).trim(), "300000");
    assertEquals(await listener.exit(), 0, listener.stderr);
    const event = listener.stdout.split("\n").map((l) => l && JSON.parse(l))
      .find((e) => e?.event === "datagram");
    assertEquals([event.size, event.truncated], [262_145, true]);
  },
});

/**
 * A ConnectedDatagram bound to a temporary path in `dir` and fixed to a peer socket there,
 * and an unnamed stranger (as the talker's waker is); all closed on dispose.
 */
async function connectedTrio(dir: string) {
  const peer = Deno.listenDatagram({ transport: "unixpacket", path: `${dir}/peer` });
  const stranger = Deno.listenDatagram({ transport: "unixpacket" });
  const sock = new ConnectedDatagram(await bindTemporaryUnixDatagram(dir), { path: `${dir}/peer` });
  return {
    peer,
    stranger,
    sock,
    [Symbol.asyncDispose]: () => {
      sock.close();
      peer.close();
      stranger.close();
      return Promise.resolve();
    },
  };
}

Deno.test({
  name:
    "ConnectedDatagram over a path sends while a receive waits; wake tokens are never seen nor counted, a stranger's 16 bytes are",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    await using trio = await connectedTrio(dir.path);
    const { peer, stranger, sock } = trio;
    for (let i = 0; i < 5; i++) {
      // A receive left waiting (timed out), then a send: without the wake, "Socket already
      // in use".
      const late = await sock.receive({ timeout: 20 }).catch((e) => e);
      assert(late instanceof NetError && late.timeout, String(late));
      assertEquals(await sock.send(bytes(`req ${i}`)), 5);
      const [data, from] = await receiveWithin(peer);
      assertEquals(data, bytes(`req ${i}`));
      await peer.send(data, from);
      assertEquals(await sock.receive({ timeout: 5000 }), bytes(`req ${i}`));
    }
    assertEquals(sock.ignored, 0);
    // 16 bytes from an unnamed socket that are not a token of ours: a stranger's, counted.
    const pending = sock.receive({ timeout: 5000 });
    await stranger.send(new Uint8Array(16).fill(7), sock.localAddr);
    await peer.send(bytes("mine"), sock.localAddr);
    assertEquals(await pending, bytes("mine"));
    assertEquals(sock.ignored, 1);
  },
});

Deno.test({
  name:
    "ConnectedDatagram over a path: a stranger's flood while a receive waits neither blocks a send nor is taken for the peer",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using dir = await tempDir();
    await using trio = await connectedTrio(dir.path);
    const { peer, stranger, sock } = trio;
    const late = await sock.receive({ timeout: 20 }).catch((e) => e);
    assert(late instanceof NetError && late.timeout, String(late));
    // Fill our receive queue (a send to a full Unix datagram queue would block: bounded).
    let flooded = 0;
    const end = performance.now() + 2000;
    while (flooded < 2000 && performance.now() < end) {
      const ok = await Promise.race([
        stranger.send(new Uint8Array(1024), sock.localAddr).then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), 50)),
      ]);
      if (!ok) break; // the queue is full
      flooded++;
    }
    assert(flooded > 0);
    assertEquals(await sock.send(bytes("through")), 7);
    const [data, from] = await receiveWithin(peer);
    const answered = peer.send(data, from); // waits for room in our full queue
    assertEquals(await sock.receive({ timeout: 10_000 }), bytes("through"));
    await answered;
    assert(sock.ignored >= flooded - 1, `${sock.ignored} of ${flooded}`);
  },
});
