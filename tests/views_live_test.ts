// The live view, as a person sees it: tmux runs the tool in a real terminal, the test sends
// load, and capture-pane shows the status line with rising totals; the same run with its
// output in a file holds only the original's lines.
import { assertEquals, assertMatch } from "./_assert.ts";
import { fetchAll, freePort, hasCommand, toolArgs, udpSocket } from "./_tools.ts";

const TMUX = hasCommand("tmux");
if (!TMUX) console.log("views_live_test: tmux is missing, the live view tests are skipped");

/** A tool running in a 120x30 tmux pane; the pane stays after the tool exits. */
class Pane implements AsyncDisposable {
  readonly session = `socketkit-live-${Deno.pid}-${Math.random().toString(36).slice(2, 8)}`;
  /** A tmux server of the pane's own (`-L`), so that one test's server shutting down cannot
   * take the next test's session with it. */
  readonly socket = this.session;

  static async start(tool: string, args: string[], redirect = "", env = ""): Promise<Pane> {
    const pane = new Pane();
    // The tool sees the pane as a person's terminal: NO_COLOR (set by CI) only when asked.
    const argv = `env -u NO_COLOR ${env}` +
      [Deno.execPath(), ...toolArgs(tool, args)].map(quote).join(" ");
    // Dead panes stay, so what the tool printed last can still be read.
    await pane.tmux("new-session", "-d", "-s", pane.session, "-x", "120", "-y", "30");
    await pane.tmux("set-option", "-t", pane.session, "remain-on-exit", "on");
    await pane.tmux("respawn-pane", "-k", "-t", pane.session, `${argv}${redirect}`);
    return pane;
  }

  /** The pane's text, as the person sees it (colours stripped), trailing blanks trimmed. */
  async capture(): Promise<string> {
    return await this.tmux("capture-pane", "-p", "-t", this.session);
  }

  /** The pane's text with its colours, as escape sequences. */
  async captureColours(): Promise<string> {
    return await this.tmux("capture-pane", "-p", "-e", "-t", this.session);
  }

  /** Waits (10 s at most) until the pane matches `pattern`; returns the match. */
  async waitFor(pattern: RegExp): Promise<RegExpExecArray> {
    let text = "";
    for (let i = 0; i < 200; i++) {
      text = await this.capture();
      const m = pattern.exec(text);
      if (m) return m;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`pane never matched ${pattern}:\n${text}`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.tmux("kill-server").catch(() => {});
  }

  /** Runs tmux against the pane's own server. */
  tmux(...args: string[]): Promise<string> {
    return tmux("-L", this.socket, ...args);
  }
}

async function tmux(...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command("tmux", { args }).output();
  const dec = new TextDecoder();
  if (code !== 0) throw new Error(`tmux ${args.join(" ")}: ${dec.decode(stderr)}`);
  return dec.decode(stdout);
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

async function sendDatagrams(port: number, n: number): Promise<void> {
  using sock = udpSocket("127.0.0.1");
  const to = { transport: "udp", hostname: "127.0.0.1", port } as const;
  for (let i = 0; i < n; i++) await sock.send(new TextEncoder().encode(`m${i}`), to);
}

const STATUS =
  /listener: up \d+s · (\d+) datagrams \((\d+) bytes\) · \d+\/s now · \d+ dropped · (\d+) refused/;

Deno.test({
  name: "listener -k in a terminal: a status line at the bottom, totals rising, erased at the end",
  ignore: !TMUX,
  fn: async () => {
    const port = freePort("udp", "127.0.0.1");
    await using pane = await Pane.start("listener", ["-k", "-H", "127.0.0.1", "-p", String(port)]);
    await pane.waitFor(/waiting to recvfrom/);
    await sendDatagrams(port, 20);
    await pane.waitFor(/listener: up \d+s · 20 datagrams \(50 bytes\)/);
    // The status line is the pane's bottom row, under the original's lines.
    const rows = (await pane.capture()).split("\n");
    assertEquals(rows.length >= 30, true);
    assertMatch(rows[29]!, STATUS);
    assertMatch(rows.slice(0, 29).join("\n"), /listener: packet contains "m19"/);
    await sendDatagrams(port, 30);
    await pane.waitFor(/listener: up \d+s · 50 datagrams/);
    // Ctrl-C: the status line is erased before the summary.
    await pane.tmux("send-keys", "-t", pane.session, "C-c");
    await pane.waitFor(/listener: received 50 datagrams, \d+ bytes/);
    const end = await pane.capture();
    assertEquals(STATUS.test(end), false, end);
  },
});

Deno.test({
  name: "server in a terminal: the status line counts connections; --no-progress hides it",
  ignore: !TMUX,
  fn: async () => {
    const port = freePort("tcp", "127.0.0.1");
    await using pane = await Pane.start("server", ["-H", "127.0.0.1", "-p", String(port)]);
    await pane.waitFor(/waiting for connections/);
    for (let i = 0; i < 3; i++) await fetchAll("127.0.0.1", port);
    await pane.waitFor(/server: up \d+s · 3 connections · \d+\/s now · \d+ dropped · 0 refused/);
    for (let i = 0; i < 4; i++) await fetchAll("127.0.0.1", port);
    await pane.waitFor(/server: up \d+s · 7 connections/);

    const quiet = freePort("tcp", "127.0.0.1");
    const args = ["--no-progress", "-H", "127.0.0.1", "-p", String(quiet)];
    await using plain = await Pane.start("server", args);
    await plain.waitFor(/waiting for connections/);
    await fetchAll("127.0.0.1", quiet);
    await plain.waitFor(/got connection from 127\.0\.0\.1/);
    await new Promise((r) => setTimeout(r, 600)); // two redraws' time
    assertEquals(/server: up /.test(await plain.capture()), false);
  },
});

Deno.test({
  name: "the same listener with its output in a file: only the original's lines, no colour",
  ignore: !TMUX,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const port = freePort("udp", "127.0.0.1");
      const file = `${dir}/out.txt`;
      const args = ["-k", "-H", "127.0.0.1", "-p", String(port)];
      // stdout to a file, stderr (the status line's stream) still the terminal.
      await using pane = await Pane.start("listener", args, ` > ${quote(file)}`);
      await pane.waitFor(/listener: up \d+s · 0 datagrams/);
      await sendDatagrams(port, 2);
      await pane.waitFor(/listener: up \d+s · 2 datagrams/);
      await pane.tmux("send-keys", "-t", pane.session, "C-c");
      for (let i = 0; i < 100 && !(await Deno.readTextFile(file)).includes("received"); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assertEquals(
        await Deno.readTextFile(file),
        "listener: waiting to recvfrom...\n" +
          'listener: got packet from 127.0.0.1\nlistener: packet is 2 bytes long\nlistener: packet contains "m0"\n' +
          'listener: got packet from 127.0.0.1\nlistener: packet is 2 bytes long\nlistener: packet contains "m1"\n' +
          "listener: received 2 datagrams, 4 bytes\n",
      );

      // Everything to the file: stderr is no terminal, so no status line and no colour.
      const port2 = freePort("udp", "127.0.0.1");
      const all = `${dir}/all.txt`;
      const args2 = ["-k", "-H", "127.0.0.1", "-p", String(port2)];
      await using pane2 = await Pane.start("listener", args2, ` > ${quote(all)} 2>&1`);
      for (let i = 0; i < 100 && !(await Deno.readTextFile(all).catch(() => "")); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await sendDatagrams(port2, 1);
      await new Promise((r) => setTimeout(r, 600));
      await pane2.tmux("send-keys", "-t", pane2.session, "C-c");
      for (let i = 0; i < 100 && !(await Deno.readTextFile(all)).includes("received"); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const text = await Deno.readTextFile(all);
      assertEquals(text.includes("\x1b"), false, JSON.stringify(text));
      assertMatch(text, /packet contains "m0"\nlistener: received 1 datagram, 2 bytes\n$/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "colour on a terminal: the name dim, errors red; NO_COLOR and --color never turn it off",
  ignore: !TMUX,
  fn: async () => {
    using closed = udpSocket("127.0.0.1"); // its port, over TCP: nobody listens (very likely)
    const args = ["-p", String(closed.port), "127.0.0.1"];
    const runs: [string, string[], boolean][] = [
      ["", args, true],
      ["NO_COLOR=1 ", args, false],
      ["", ["--color", "never", ...args], false],
    ];
    for (const [env, argv, coloured] of runs) {
      await using pane = await Pane.start("client", argv, "", env);
      await pane.waitFor(/client: failed to connect/);
      const text = await pane.captureColours();
      // tmux re-encodes what it shows: dim is SGR 2, red foreground 31.
      assertEquals(
        text.includes("\x1b[2mclient"),
        coloured,
        `${env}${argv[0]}: ${JSON.stringify(text)}`,
      );
      assertEquals(text.includes("\x1b[31mfailed to connect"), coloured, JSON.stringify(text));
    }
  },
});

/** The pane's scrolling region, as tmux holds it: `upper lower` (0-based rows). */
async function scrollRegion(pane: Pane): Promise<string> {
  const got = await pane.tmux(
    "display-message",
    "-p",
    "-t",
    pane.session,
    "#{scroll_region_upper} #{scroll_region_lower}",
  );
  return got.trim();
}

Deno.test({
  name:
    "server draining after Ctrl-C says so; a second Ctrl-C exits 130 and gives the terminal back",
  ignore: !TMUX,
  fn: async () => {
    const port = freePort("tcp", "127.0.0.1");
    const args = ["--echo", "-H", "127.0.0.1", "-p", String(port)];
    await using pane = await Pane.start("server", args, "; echo exit=$?");
    await pane.waitFor(/waiting for connections/);
    assertEquals(await scrollRegion(pane), "0 28"); // the bottom row is the status line's
    // One client that stays: the server drains it after the first Ctrl-C.
    using _conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await pane.waitFor(/server: up \d+s · 1 connection ·/); // one: singular
    await pane.tmux("send-keys", "-t", pane.session, "C-c");
    await pane.waitFor(/server: draining \(Ctrl-C again to quit now\) · up/);
    await pane.tmux("send-keys", "-t", pane.session, "C-c");
    await pane.waitFor(/exit=130/);
    const end = await pane.capture();
    // The status line is gone (the line that says the drain began stays, as a log line).
    assertEquals(/server: (draining \(|up \d)/.test(end), false, end);
    assertEquals(await scrollRegion(pane), "0 29"); // the whole screen again
  },
});

Deno.test({
  name: "listener stopped by Ctrl-C: its summary starts at the first column, the ^C cleared",
  ignore: !TMUX,
  fn: async () => {
    const port = freePort("udp", "127.0.0.1");
    await using pane = await Pane.start("listener", ["-k", "-H", "127.0.0.1", "-p", String(port)]);
    await pane.waitFor(/listener: up \d+s · 0 datagrams/);
    await sendDatagrams(port, 1);
    await pane.waitFor(/listener: up \d+s · 1 datagram \(/); // one: singular
    await pane.tmux("send-keys", "-t", pane.session, "C-c");
    const end = (await pane.waitFor(/listener: received 1 datagram, 2 bytes[^]*/)).input;
    assertMatch(end, /\nlistener: received 1 datagram, 2 bytes\n/);
    assertEquals(end.includes("^C"), false, end);
  },
});

Deno.test({
  name:
    "listener -k in a terminal that is resized: the status line moves to the new bottom, nothing stale left",
  ignore: !TMUX,
  fn: async () => {
    const port = freePort("udp", "127.0.0.1");
    await using pane = await Pane.start("listener", ["-k", "-H", "127.0.0.1", "-p", String(port)]);
    await pane.waitFor(/listener: up \d+s · 0 datagrams/);
    await pane.tmux("resize-window", "-t", pane.session, "-y", "20");
    await sendDatagrams(port, 12); // 36 lines: the region scrolls
    await pane.waitFor(/listener: up \d+s · 12 datagrams/);
    const rows = (await pane.capture()).split("\n");
    assertMatch(rows[19]!, STATUS);
    assertEquals(await scrollRegion(pane), "0 18");
    // Narrower than the line: it is cut to fit, never wrapped onto a second row.
    await pane.tmux("resize-window", "-t", pane.session, "-x", "40");
    await sendDatagrams(port, 1);
    await pane.waitFor(/listener: up \d+s · 13 data/);
    const narrow = (await pane.capture()).split("\n");
    assertMatch(narrow[19]!, /^listener: up \d+s · 13 data/);
    assertEquals(narrow.filter((r) => /refused|dropped|\/s now/.test(r)), [], narrow.join("\n"));
    await pane.tmux("send-keys", "-t", pane.session, "C-c");
    await pane.waitFor(/listener: received 13 datagrams/);
    // Nowhere on the screen nor in the scrollback is a status line left.
    const all = await pane.tmux("capture-pane", "-p", "-S", "-", "-t", pane.session);
    assertEquals(/listener: up \d+s/.test(all), false, all);
  },
});

Deno.test({
  name: "talker ping stopped by Ctrl-C in a terminal: the summary starts at the first column",
  ignore: !TMUX,
  fn: async () => {
    using silent = udpSocket("::1");
    const args = ["-n", "50", "-i", "100ms", "-r", "200ms", "-p", String(silent.port), "::1", "hi"];
    await using pane = await Pane.start("talker", args, "; echo exit=$?");
    await pane.waitFor(/no reply for seq=2/);
    await pane.tmux("send-keys", "-t", pane.session, "C-c");
    const end = (await pane.waitFor(/exit=\d+/)).input;
    assertMatch(end, /\ntalker: \d+ sent, 0 replies, 100% lost\nexit=130\n/);
    assertEquals(end.includes("^C"), false, end);
  },
});
