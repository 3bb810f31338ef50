// Every bad input gives one clear line on stderr and the documented exit code: never a stack
// trace, never a prompt, nothing half-done.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { hasCommand, runTool, startTool, toolArgs, udpSocket } from "./_tools.ts";

type Case = [tool: string, args: string[], code: number, stderr: RegExp];

const BAD_PORTS = ["abc", "-1", "65536", "1.5", "", "0x10"];

const cases: Case[] = [
  ["client", [], 1, /^usage: client hostname\n$/],
  ["client", ["a", "b"], 1, /^usage: client hostname\n$/],
  ["talker", [], 1, /^usage: talker hostname message\n$/],
  ["talker", ["::1"], 1, /^usage: talker hostname message\n$/],
  ["talker", ["::1", "a", "b"], 1, /^usage: talker hostname message\n$/],
  ["server", ["extra"], 1, /^server: Unexpected argument "extra"\n$/],
  ["listener", ["extra"], 1, /^listener: Unexpected argument "extra"\n$/],
  [
    "client",
    ["nosuch.invalid"],
    1,
    /^getaddrinfo: Name or service not known \(host "nosuch\.invalid"\)\n$/,
  ],
  ["talker", ["nosuch.invalid", "x"], 1, /^getaddrinfo: Name or service not known/],
  ["server", ["-H", "nosuch.invalid"], 1, /^getaddrinfo: Name or service not known/],
  ["listener", ["-H", "nosuch.invalid"], 1, /^getaddrinfo: Name or service not known/],
  ["client", [""], 1, /^getaddrinfo: .*empty host name/],
  ["talker", ["", "x"], 1, /^getaddrinfo: .*empty host name/],
  ["server", ["-H", ""], 1, /^getaddrinfo: .*empty host name/],
  ["client", ["-4", "::1"], 1, /^getaddrinfo: Address family for hostname not supported/],
  ["client", ["-6", "127.0.0.1"], 1, /^getaddrinfo: Address family for hostname not supported/],
  ["talker", ["-4", "::1", "x"], 1, /^getaddrinfo: Address family/],
  ["talker", ["-6", "127.0.0.1", "x"], 1, /^getaddrinfo: Address family/],
  ["server", ["-4", "-H", "::1"], 1, /^getaddrinfo: Address family/],
  ["server", ["-6", "-H", "127.0.0.1"], 1, /^getaddrinfo: Address family/],
  ["listener", ["-4", "-H", "::1"], 1, /^getaddrinfo: Address family/],
  ["server", ["-4", "-6"], 1, /^server: Options -4 and -6 cannot be used together\n$/],
  ["client", ["-4", "-6", "x"], 1, /cannot be used together/],
  [
    "talker",
    ["::1", "x".repeat(65528)],
    1,
    /^talker: Message too long for one datagram: 65528 bytes, the limit over IPv6 is 65527 bytes\n$/,
  ],
  ["talker", ["127.0.0.1", "x".repeat(65508)], 1, /the limit over IPv4 is 65507 bytes\n$/],
  [
    "client",
    ["localhost", "3490"],
    1,
    /^client: Too many arguments: did you mean -p 3490\?\n$/,
  ],
  ["client", ["-4", "localhost", "036004"], 1, /^client: .*did you mean -p 036004\?\n$/],
  ["client", ["localhost", "0"], 1, /^usage: client hostname\n$/],
  ["client", ["localhost", "3490", "x"], 1, /^usage: client hostname\n$/],
  [
    "talker",
    ["--reply", "soon", "::1", "x"],
    1,
    /^talker: Invalid --reply "soon": expected a duration from 1ms to 24h \(2, 2s, 500ms, 1m\)\n$/,
  ],
  ["talker", ["-cr", "0", "::1", "x"], 1, /^talker: Invalid --reply "0": .* from 1ms to 24h/],
  ["talker", ["-cr-1s", "::1", "x"], 1, /^talker: Invalid --reply "-1s"/],
  ["talker", ["::1", "-hello"], 1, /^talker: Unknown option '-e' in '-hello'\n$/],
  [
    "client",
    ["--timeout", "0", "x"],
    1,
    /^client: Invalid --timeout "0": expected a duration from 1ms to 24h \(2, 2s, 500ms, 1m\)\n$/,
  ],
  ["client", ["-t", "25h", "x"], 1, /^client: Invalid --timeout "25h": .* to 24h/],
  ["client", ["--read-timeout=1e3", "x"], 1, /^client: Invalid --read-timeout "1e3"/],
  ["server", ["--write-timeout", "0"], 1, /^server: Invalid --write-timeout "0": .* 1ms to/],
  ["server", ["--linger=-1"], 1, /^server: Invalid --linger "-1": .* from 0 to 24h/],
  ["server", ["--drain-timeout", "1d"], 1, /^server: Invalid --drain-timeout "1d": .* 0 to/],
  ["listener", ["-c", "0"], 1, /^listener: Invalid --count "0"/],
  [
    "listener",
    ["--max-size", "-5"],
    1,
    /^listener: Option '--max-size' argument is ambiguous: to pass a value starting with '-', write --max-size=-5\n$/,
  ],
  ["server", ["--max-connections", "x"], 1, /^server: Invalid --max-connections "x"/],
  ["server", ["-p"], 1, /^server: Option '-p, --port <value>' argument missing\n$/],
  [
    "client",
    ["--tls", "--stdin", "--ca", "-", "::1"],
    1,
    /^client: Option --stdin sends standard input: not with --cert -, --key - or --ca -\n$/,
  ],
  [
    "client",
    ["--tls", "--stdin", "--cert", "-", "--key", "k.pem", "::1"],
    1,
    /^client: Option --stdin sends standard input: not with --cert -, --key - or --ca -\n$/,
  ],
  [
    "client",
    ["--race-delay", "5ms", "::1"],
    1,
    /^client: Invalid --race-delay "5ms": .* 10ms to 2s/,
  ],
  ["client", ["--race-delay", "3s", "::1"], 1, /^client: Invalid --race-delay "3s": .* 10ms to 2s/],
  // An option typed with an escape sequence in it is shown, not run, on the terminal.
  ["client", ["--\x1b[31mX\x07"], 1, /^client: Unknown option '--\\x1b\[31mX\\x07'\n$/],
];
for (const tool of ["server", "client", "listener", "talker"]) {
  const more = tool === "client" ? ["::1"] : tool === "talker" ? ["::1", "x"] : [];
  // Leading zeros are decimal (as nc reads them), so this is 65536: still out of range.
  cases.push([tool, ["-p", "0065536", ...more], 1, /Invalid port "0065536": expected a whole/]);
  cases.push([tool, ["--bogus"], 1, new RegExp(`^${tool}: Unknown option '--bogus'\\n$`)]);
  for (const port of BAD_PORTS) {
    const args = [`--port=${port}`, ...more];
    cases.push([
      tool,
      args,
      1,
      new RegExp(
        `^${tool}: Invalid port ${
          JSON.stringify(port).replace(/\./g, "\\.")
        }: expected a whole number`,
      ),
    ]);
  }
}
cases.push([
  "client",
  ["-p", "0", "::1"],
  1,
  /^client: Invalid port "0": expected a whole number from 1 to 65535\n$/,
]);
cases.push(["talker", ["-p", "0", "::1", "x"], 1, /^talker: Invalid port "0"/]);
cases.push([
  "client",
  ["-p", "000", "::1"],
  1,
  /^client: Invalid port "000": .* from 1 to 65535\n$/,
]);

for (const [tool, args, code, stderr] of cases) {
  const shown = args.map((a) => a.length > 20 ? `<${a.length} bytes>` : JSON.stringify(a)).join(
    " ",
  );
  Deno.test(`${tool} ${shown} exits ${code} with one clear line`, async () => {
    const res = await runTool(tool, args);
    assertEquals(res.code, code, res.stderr);
    assertMatch(res.stderr, stderr);
    assertEquals(res.stderr.trimEnd().split("\n").length, 1, res.stderr);
    assertEquals(res.stdout, "");
  });
}

Deno.test("a missing net permission names the flag to add, exit 4, no prompt", async () => {
  const cases: [string, string[], RegExp][] = [
    [
      "client",
      ["127.0.0.1"],
      /^client: dial tcp 127\.0\.0\.1:3490: permission denied: run again with --allow-net=127\.0\.0\.1:3490\n$/,
    ],
    [
      "client",
      ["localhost"],
      /^client: lookup localhost: permission denied: run again with --allow-net=localhost \(and each address of localhost with port 3490\)\n$/,
    ],
    [
      "talker",
      ["::1", "x"],
      /^talker: listen udp \[::\]:0: permission denied: run again with --allow-net=\[::\]:0,\[::1\]:4950\n$/,
    ],
    [
      "server",
      ["-p", "3490"],
      /^server: listen tcp \[::\]:3490: permission denied: run again with --allow-net=\[::\]:3490,0\.0\.0\.0:3490\n$/,
    ],
    [
      "listener",
      [],
      /^listener: listen udp \[::\]:4950: permission denied: run again with --allow-net=\[::\]:4950\n$/,
    ],
  ];
  for (const [tool, args, stderr] of cases) {
    const res = await runTool(tool, args, { perms: [] });
    assertEquals(res.code, 4, `${tool}: ${res.stderr}`);
    assertMatch(res.stderr, stderr);
  }
});

Deno.test("a permission error names every grant the run needs, not only the one that failed", async () => {
  const { proc, port } = await startTool("server", ["-H", "127.0.0.1"]);
  await using _server = proc;
  const args = ["-p", String(port), "localhost"];
  // The lookup of localhost is granted; the dial is not: the flag named keeps both.
  const denied = await runTool("client", args, { perms: ["--allow-net=localhost"] });
  assertEquals(denied.code, 4, denied.stderr);
  const flag = `--allow-net=localhost,127.0.0.1:${port}`;
  assertEquals(
    denied.stderr,
    `client: dial tcp 127.0.0.1:${port}: permission denied: run again with ${flag}\n`,
  );
  const granted = await runTool("client", args, { perms: [flag] });
  assertEquals(granted.code, 0, granted.stderr);
  assertEquals(
    granted.stdout,
    "client: connecting to 127.0.0.1\nclient: received 'Hello, world!'\n",
  );
});

Deno.test("the flag a permission error names is enough to run", async () => {
  const { proc, port } = await startTool("server", ["-H", "127.0.0.1"]);
  await using _server = proc;
  const res = await runTool("client", ["-p", String(port), "127.0.0.1"], {
    perms: [`--allow-net=127.0.0.1:${port}`],
  });
  assertEquals(res.code, 0, res.stderr);
});

Deno.test("a port in use: server and listener name the address and exit 2", async () => {
  using busyUdp = udpSocket("::");
  const busyTcp = Deno.listen({ hostname: "::", port: 0 });
  try {
    const s = await runTool("server", ["-6", "-p", String(busyTcp.addr.port)]);
    assertEquals(s.code, 2);
    assertEquals(
      s.stderr,
      `server: bind: Address already in use ([::]:${busyTcp.addr.port})\nserver: failed to bind\n`,
    );
    const l = await runTool("listener", ["-p", String(busyUdp.port)]);
    assertEquals(l.code, 2);
    assertMatch(
      l.stderr,
      new RegExp(`^listener: bind: Address already in use \\(\\[::\\]:${busyUdp.port}\\)\\n`),
    );
  } finally {
    busyTcp.close();
  }
});

Deno.test("client exits 3 when the server never closes within --read-timeout", async () => {
  using silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = silent.accept();
  const res = await runTool("client", [
    "--read-timeout",
    "300ms",
    "-p",
    String(silent.addr.port),
    "127.0.0.1",
  ]);
  (await accepted).close();
  assertEquals(res.code, 3);
  assertEquals(res.stdout, "client: connecting to 127.0.0.1\n");
  assertMatch(res.stderr, /^client: recv: nothing received from 127\.0\.0\.1:\d+ within 300ms\n$/);
});

Deno.test("every tool answers --help with its usage and the exit-code table, and --version", async () => {
  for (const tool of ["server", "client", "listener", "talker"]) {
    const help = await runTool(tool, ["--help"]);
    assertEquals(help.code, 0);
    assertMatch(help.stdout, new RegExp(`^${tool}: `));
    assert(help.stdout.includes("Exit codes:\n  0   success\n  1   usage error"));
    const version = await runTool(tool, ["--version"]);
    assertEquals(version.code, 0);
    assertMatch(
      version.stdout,
      new RegExp(`^${tool} \\(socketkit \\d+\\.\\d+\\.\\d+\\) deno \\d+\\.\\d+\\.\\d+ \\S+\\n$`),
    );
    assert(!help.stderr && !version.stderr);
  }
});

Deno.test("-h inside a bundle of switches asks for the help, as getopt reads it", async () => {
  for (
    const [tool, args] of [
      ["server", ["-qh"]],
      ["listener", ["-kh"]],
      ["client", ["-zh", "x"]],
      ["talker", ["-ch", "::1", "x"]],
    ] as const
  ) {
    const res = await runTool(tool, [...args]);
    assertEquals([res.code, res.stderr], [0, ""], `${tool} ${args.join(" ")}`);
    assertMatch(res.stdout, new RegExp(`^${tool}: [^]*\n  -h, --help  +this help\n`));
  }
  // After --, -h is an argument: the talker sends it.
  const res = await runTool("talker", ["-p", "9", "nosuch.invalid", "--", "-h"]);
  assertEquals(res.code, 1);
  assertMatch(res.stderr, /^getaddrinfo: /);
});

Deno.test("--help=VALUE is a usage error: --help takes no value", async () => {
  for (const tool of ["server", "client", "listener", "talker"]) {
    const res = await runTool(tool, ["--help=foo"]);
    assertEquals([res.code, res.stdout], [1, ""], tool);
    assertEquals(res.stderr, `${tool}: Option '--help' does not take an argument\n`);
  }
});

Deno.test("--progress and --no-progress belong to the tools with a live status line only", async () => {
  for (const [tool, more] of [["client", ["::1"]], ["talker", ["::1", "x"]]] as const) {
    for (const flag of ["--progress", "--no-progress"]) {
      const res = await runTool(tool, [flag, ...more]);
      assertEquals(res.code, 1, `${tool} ${flag}`);
      assertEquals(res.stderr, `${tool}: Unknown option '${flag}'\n`);
    }
    const help = await runTool(tool, ["--help"]);
    assert(!help.stdout.includes("progress"), tool);
  }
  for (const tool of ["server", "listener"]) {
    const help = await runTool(tool, ["--help"]);
    assert(help.stdout.includes("\n      --progress  "), tool);
    assert(help.stdout.includes("\n      --no-progress  "), tool);
  }
});

const isRoot =
  new TextDecoder().decode(new Deno.Command("id", { args: ["-u"] }).outputSync().stdout)
    .trim() === "0";

/**
 * A copy of the runtime and the tool's sources in a fresh directory that any user may read and
 * run: however Deno was installed (npx keeps it under root's home, mode 700), nobody can run it.
 */
async function copyForNobody(): Promise<
  { dir: string; deno: string; config: string; tool: string }
> {
  const dir = await Deno.makeTempDir({ prefix: "socketkit-nobody-" });
  await Deno.chmod(dir, 0o755);
  const deno = `${dir}/deno`;
  await Deno.copyFile(Deno.execPath(), deno);
  await Deno.chmod(deno, 0o755);
  const root = new URL("../", import.meta.url).pathname;
  const cp = await new Deno.Command("cp", {
    args: ["-R", `${root}deno.json`, `${root}cmd`, `${root}lib`, dir],
  }).output();
  assertEquals(cp.code, 0, new TextDecoder().decode(cp.stderr));
  await new Deno.Command("chmod", { args: ["-R", "a+rX", dir] }).output();
  await Deno.mkdir(`${dir}/cache`, { mode: 0o777 });
  await Deno.chmod(`${dir}/cache`, 0o777);
  return { dir, deno, config: `${dir}/deno.json`, tool: `${dir}/cmd/server.ts` };
}

Deno.test({
  name: "a low port without privilege: the server names the address and the cause, exit 2",
  ignore: !isRoot || !hasCommand("setpriv"),
  async fn() {
    // Drop to nobody (root may bind any port), running a copy of Deno that nobody can reach.
    const copy = await copyForNobody();
    try {
      const out = await new Deno.Command("setpriv", {
        args: [
          "--reuid=65534",
          "--regid=65534",
          "--clear-groups",
          "env",
          `DENO_DIR=${copy.dir}/cache`,
          `HOME=${copy.dir}`,
          copy.deno,
          "run",
          "--no-prompt",
          "--quiet",
          `--config=${copy.config}`,
          "--allow-net",
          copy.tool,
          "-p",
          "80",
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assertEquals(out.code, 2, stderr);
      assertMatch(stderr, /^server: bind: Permission denied \(\[::\]:80\)\n/);
      assertMatch(stderr, /\nserver: failed to bind\n$/);
    } finally {
      await Deno.remove(copy.dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "IPv6 not available: binding ::1 names the address and the cause, exit 2",
  ignore: !isRoot || !hasCommand("unshare"),
  async fn() {
    // A network namespace of our own, with IPv6 switched off.
    const script = `sysctl -qw net.ipv6.conf.all.disable_ipv6=1 && exec "$0" "$@"`;
    const out = await new Deno.Command("unshare", {
      args: ["-n", "sh", "-c", script, Deno.execPath(), ...toolArgs("server", ["-H", "::1"])],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 2, stderr);
    assertMatch(stderr, /^server: bind: Cannot assign requested address \(\[::1\]:3490\)\n/);
  },
});
