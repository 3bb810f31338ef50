// Random argument vectors for each tool: each ends in the one exit code and output that its
// case allows, never another code, never an uncaught exception or stack trace. The parse
// stage runs in-process (thousands of vectors in a second); the error-to-exit-code mapping
// is the same runTool() every tool uses; samples of both kinds also run as real processes.
import { assert, assertEquals } from "./_assert.ts";
import * as client from "../cmd/client.ts";
import * as listener from "../cmd/listener.ts";
import * as server from "../cmd/server.ts";
import * as talker from "../cmd/talker.ts";
import { Output } from "../lib/cli/output.ts";
import { UsageError } from "../lib/cli/errors.ts";
import { EXIT_CODE_HELP } from "../lib/cli/exit_codes.ts";
import { runTool, type ToolInfo } from "../lib/cli/tool.ts";
import { versionLine } from "../lib/cli/version.ts";
import { runTool as runProcess } from "./_tools.ts";

const tools: [ToolInfo, (args: string[]) => unknown][] = [
  [server.info, server.parseServerArgs],
  [client.info, client.parseClientArgs],
  [listener.info, listener.parseListenerArgs],
  [talker.info, talker.parseTalkerArgs],
];

const TOKENS = [
  "-p",
  "--port",
  "-H",
  "--host",
  "-4",
  "-6",
  "-c",
  "--count",
  "-k",
  "--keep",
  "-e",
  "--echo",
  "--max-size",
  "-q",
  "--quiet",
  "--raw",
  "--message",
  "--max-connections",
  "--write-timeout",
  "--drain-timeout",
  "-t",
  "--timeout",
  "--read-timeout",
  "--max-bytes",
  "--connect",
  "-r",
  "--reply",
  "--",
  "-",
  "--port=",
  "--port=-1",
  "-p0",
  "-x",
  "--nope",
  "-pk",
  "-46",
  "0",
  "1",
  "-1",
  "65535",
  "65536",
  "1.5",
  "0x10",
  "1e3",
  "abc",
  "",
  " ",
  "2s",
  "500ms",
  "0.5s",
  "::1",
  "127.0.0.1",
  "localhost",
  "::",
  "[::1]",
  "256.1.1.1",
  "fe80::1%lo",
  "nosuch.invalid",
  "\x00",
  "\x1b[31m",
  "é",
  "日本",
  "\ud800",
  "x".repeat(70000),
  "9".repeat(40),
  "-0",
  "+1",
  "-h",
  "--help",
  "--version",
];

/** A small deterministic PRNG, so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
}

function randomArgs(rand: () => number): string[] {
  const n = Math.floor(rand() * 7);
  return Array.from({ length: n }, () => {
    if (rand() < 0.15) {
      return String.fromCharCode(
        ...Array.from({ length: 1 + Math.floor(rand() * 6) }, () => 33 + Math.floor(rand() * 94)),
      );
    }
    return TOKENS[Math.floor(rand() * TOKENS.length)]!;
  });
}

/** Stderr and stdout kept in memory. */
function memoryOutput(name: string): { out: Output; text: () => string } {
  const chunks: Uint8Array[] = [];
  const sink = { writeSync: (p: Uint8Array) => (chunks.push(p.slice()), p.length) };
  return {
    out: new Output(name, { stdout: sink, stderr: sink }),
    text: () => chunks.map((c) => new TextDecoder().decode(c)).join(""),
  };
}

/** Whether runTool() answers before parsing: `-h`, `--help` or `--version` before `--`. */
function asksHelp(args: string[]): boolean {
  const end = args.indexOf("--");
  return (end < 0 ? args : args.slice(0, end)).some((a) =>
    a === "-h" || a === "--help" || a === "--version"
  );
}

/** The arguments as a child process gets them: UTF-8, so a lone surrogate becomes U+FFFD. */
function asArgv(args: string[]): string[] {
  return args.map((a) => new TextDecoder().decode(new TextEncoder().encode(a)));
}

/** The UsageError a parser throws for `args`, or undefined when it accepts them. */
function usageError(parse: (args: string[]) => unknown, args: string[]): UsageError | undefined {
  try {
    parse(args);
    return undefined;
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw new Error(`parser threw ${String(err)} for ${JSON.stringify(args)}`, { cause: err });
  }
}

/** The one stderr line a usage error must give: the original's usage line, or the message. */
function usageLine(info: ToolInfo, err: UsageError): string {
  return `${err.showUsage ? info.usage : `${info.name}: ${err.message}`}\n`;
}

/** A stack frame, an uncaught error, or runTool()'s line for a bug. */
const STACK_TRACE = /^\s+at (\S+ \()?(file|ext|node|<anonymous>)|Uncaught|: internal error: /m;

/** A failure message that stays readable when an argument is 70,000 characters long. */
function describe(name: string, args: string[], code: number, output: string): string {
  const shown = args.map((a) => a.length > 40 ? `${a.slice(0, 20)}…(${a.length} chars)` : a);
  return `${name} ${JSON.stringify(shown)} → ${code}: ${output.slice(0, 2000)}`;
}

for (const [info, parse] of tools) {
  Deno.test(`fuzz: 3,000 random command lines for ${info.name} end in 0 if valid or help, else 1 with one line`, async () => {
    const rand = rng(info.name.length * 7919);
    const seen = { help: 0, valid: 0, usage: 0 };
    for (let i = 0; i < 3000; i++) {
      const args = randomArgs(rand);
      const { out, text } = memoryOutput(info.name);
      // Parse only: a vector that parses would start a real tool, which the e2e tests cover.
      const code = await runTool(info, args, (a) => {
        parse(a);
        return Promise.resolve(0);
      }, out);
      const printed = text();
      const why = describe(info.name, args, code, printed);
      assert(!STACK_TRACE.test(printed), why);
      if (asksHelp(args)) {
        seen.help++;
        assertEquals(code, 0, why);
        assert(
          printed.endsWith(`${EXIT_CODE_HELP}\n`) || printed === `${versionLine(info.name)}\n`,
          why,
        );
        continue;
      }
      const err = usageError(parse, args);
      if (err === undefined) {
        seen.valid++;
        assertEquals([code, printed], [0, ""], why);
      } else {
        seen.usage++;
        assertEquals([code, printed], [1, usageLine(info, err)], why);
      }
    }
    // The generator reaches every branch, or the test proves less than it says.
    assert(seen.help > 50 && seen.valid > 50 && seen.usage > 1000, JSON.stringify(seen));
  });
}

/** Random command lines of `tools`, as a child gets them, that `keep` selects; bounded. */
function* vectors(
  seed: number,
  keep: (parse: (a: string[]) => unknown, args: string[]) => boolean,
) {
  const rand = rng(seed);
  for (let i = 0; i < 100_000; i++) {
    const [info, parse] = tools[i % tools.length]!;
    const args = asArgv(randomArgs(rand).filter((a) => !a.includes("\0"))); // argv holds no NUL
    if (keep(parse, args)) yield { info, parse, args };
  }
}

Deno.test("fuzz: 40 bad command lines run as processes end in 1 with one line, or 0 for help", async () => {
  let ran = 0;
  for (const { info, parse, args } of vectors(42, (p, a) => usageError(p, a) !== undefined)) {
    const res = await runProcess(info.name, args, { timeout: 10_000 });
    const why = describe(info.name, args, res.code, res.stderr);
    assert(!STACK_TRACE.test(res.stderr + res.stdout), why);
    if (asksHelp(args)) {
      assertEquals([res.code, res.stderr], [0, ""], why);
      const help = res.stdout.endsWith(`${EXIT_CODE_HELP}\n`);
      assert(help || res.stdout === `${versionLine(info.name)}\n`, why);
    } else {
      assertEquals([res.code, res.stdout, res.stderr], [
        1,
        "",
        usageLine(info, usageError(parse, args)!),
      ], why);
    }
    if (++ran === 40) break;
  }
  assertEquals(ran, 40);
});

Deno.test("fuzz: 16 valid command lines run without --allow-net end in 4 naming the flag (or 1 for a name)", async () => {
  // Without the network no tool can time out (3) or find every address unusable (2): it
  // stops at its first lookup, connect or bind (4), or at a name that cannot resolve (1).
  let ran = 0;
  for (
    const { info, args } of vectors(7, (p, a) => !asksHelp(a) && usageError(p, a) === undefined)
  ) {
    const res = await runProcess(info.name, args, { timeout: 10_000, perms: [] });
    const why = describe(info.name, args, res.code, res.stderr);
    assert(!STACK_TRACE.test(res.stderr + res.stdout), why);
    assertEquals(res.stderr.split("\n").length, 2, why); // one line
    if (res.code === 4) {
      assert(
        /permission denied: run again with --allow-net=\S+( \(and (each|an) address of \S+ with port \d+\))?\n$/
          .test(res.stderr),
        why,
      );
    } else {
      assertEquals(res.code, 1, why);
      assert(res.stderr.startsWith("getaddrinfo: "), why);
    }
    if (++ran === 16) break;
  }
  assertEquals(ran, 16);
});

Deno.test("help text is pinned: a change to it is a visible decision", async () => {
  for (const [info] of tools) {
    const { out, text } = memoryOutput(info.name);
    assertEquals(await runTool(info, ["--help"], () => Promise.resolve(0), out), 0);
    const pinned = await Deno.readTextFile(
      new URL(`./fixtures/help/${info.name}.txt`, import.meta.url),
    );
    assertEquals(text(), pinned);
  }
});
