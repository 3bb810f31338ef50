import { assert, assertEquals, assertThrows } from "./_assert.ts";
import { formatOptions } from "../lib/cli/flag_help.ts";
import {
  DEFAULT_MAX_BYTES,
  DEFAULT_READ_TIMEOUT,
  DEFAULT_STREAM_PORT,
} from "../lib/cli/defaults.ts";
import { info as serverInfo, parseServerArgs } from "../cmd/server.ts";
import { info as clientInfo, parseClientArgs } from "../cmd/client.ts";
import { info as listenerInfo } from "../cmd/listener.ts";
import { info as talkerInfo } from "../cmd/talker.ts";
import { UsageError } from "../lib/cli/errors.ts";
import { familyFlag, parseDuration, parseFlags, parseInteger } from "../lib/cli/flags.ts";
import {
  booleanFlag,
  choiceFlag,
  durationFlag,
  integerFlag,
  listFlag,
  portFlag,
  stringFlag,
} from "../lib/cli/flag_kinds.ts";

Deno.test("parseDuration() reads a bare number as seconds, as nc -w and ncat -w do", () => {
  assertEquals(parseDuration("--t", "2"), 2000);
  assertEquals(parseDuration("--t", "1"), 1000);
  assertEquals(parseDuration("--t", "1500"), 1_500_000);
  assertEquals(parseDuration("--t", "0.5"), 500);
  assertEquals(parseDuration("--t", ".25"), 250);
  assertEquals(parseDuration("--t", "1.5"), 1500);
});

Deno.test("parseDuration() takes the units ms, s, m and h, with decimals", () => {
  assertEquals(parseDuration("--t", "250ms"), 250);
  assertEquals(parseDuration("--t", "500ms"), 500);
  assertEquals(parseDuration("--t", "2s"), 2000);
  assertEquals(parseDuration("--t", "1.5s"), 1500);
  assertEquals(parseDuration("--t", "0.07s"), 70); // not 70.00000000000001, not 71
  assertEquals(parseDuration("--t", "2m"), 120_000);
  assertEquals(parseDuration("--t", "0.5m"), 30_000);
  assertEquals(parseDuration("--t", "24h"), 86_400_000);
  assertEquals(parseDuration("--t", "1.5ms"), 2); // rounded up to a whole millisecond
  assertEquals(parseDuration("--t", "0.0001"), 1);
});

Deno.test("parseDuration() refuses what is not a duration, naming the range and examples", () => {
  for (
    const bad of [
      "",
      "0",
      "0ms",
      "0.0",
      "-1",
      "+1",
      "abc",
      "1e3",
      "2 s",
      " 2",
      "1.",
      ".",
      "s",
      "1.5.5",
      "0x10",
      "24.001h",
      "25h",
      "86400.001",
      "1d",
      "2S",
      "1sec",
    ]
  ) {
    assertThrows(
      () => parseDuration("--timeout", bad),
      (e: unknown) =>
        e instanceof UsageError && e.exitCode === 1 &&
        e.message ===
          `Invalid --timeout ${
            JSON.stringify(bad)
          }: expected a duration from 1ms to 24h (2, 2s, 500ms, 1m)`,
      bad,
    );
  }
});

Deno.test("parseDuration() takes 0 where the flag allows it, and names that range", () => {
  assertEquals(parseDuration("--linger", "0", { min: 0 }), 0);
  assertEquals(parseDuration("--linger", "0ms", { min: 0 }), 0);
  assertEquals(parseDuration("--linger", "0.0s", { min: 0 }), 0);
  assertThrows(
    () => parseDuration("--linger", "-1", { min: 0 }),
    {
      name: "UsageError",
      message: 'Invalid --linger "-1": expected a duration from 0 to 24h (2, 2s, 500ms, 1m)',
    },
  );
  assertThrows(
    () => parseDuration("--reply", "50ms", { min: 100, max: 90_000 }),
    /: expected a duration from 100ms to 90s /,
  );
});

Deno.test("parseInteger() keeps to its range and names the flag", () => {
  assertEquals(parseInteger("--count", "7", 1, 10), 7);
  assertThrows(() => parseInteger("--count", "0", 1, 10), /Invalid --count "0"/);
  assertThrows(() => parseInteger("--count", "1.5", 1, 10), UsageError);
});

Deno.test("parseFlags() turns unknown options into a usage error", () => {
  assertThrows(
    () => parseFlags(["--nope"], {}),
    (e: unknown) => e instanceof UsageError && /--nope/.test(e.message),
  );
  assertThrows(() => parseFlags(["-p"], { port: portFlag("port", { short: "p" }) }), UsageError);
});

Deno.test("familyFlag() refuses -4 and -6 together", () => {
  assertEquals(familyFlag(true, false, "any"), 4);
  assertEquals(familyFlag(false, true, "any"), 6);
  assertEquals(familyFlag(false, false, 6), 6);
  assertThrows(() => familyFlag(true, true, "any"), UsageError);
});

Deno.test("parseFlags() reads every spelling of a value, combined switches and --", () => {
  const table = {
    port: stringFlag("PORT", "port", { short: "p", default: "1" }),
    keep: booleanFlag("keep", { short: "k" }),
    quiet: booleanFlag("quiet", { short: "q" }),
  };
  assertEquals(parseFlags([], table).values.port, "1");
  for (const args of [["-p", "80"], ["-p80"], ["--port", "80"], ["--port=80"]]) {
    assertEquals(parseFlags(args, table).values.port, "80");
  }
  assertEquals(parseFlags(["-kq", "x"], table), {
    values: { port: "1", keep: true, quiet: true },
    positionals: ["x"],
    given: new Set(["keep", "quiet"]),
  });
  assertEquals(parseFlags(["--port=-1", "--", "-k", "-"], table).positionals, ["-k", "-"]);
  assertEquals(parseFlags(["--port=-1"], table).values.port, "-1");
  assertThrows(() => parseFlags(["-p", "-1"], table), /ambiguous: .* write --port=-1/);
  assertThrows(() => parseFlags(["--keep=yes"], table), /does not take an argument/);
  assertThrows(() => parseFlags(["-kx"], table), /Unknown option '-x'/);
});

Deno.test("parseFlags() bundles short switches with a value-taking option at the end, as getopt", () => {
  const table = {
    connect: booleanFlag("connect", { short: "c" }),
    reply: stringFlag("DUR", "reply", { short: "r" }),
    port: stringFlag("PORT", "port", { short: "p", default: "4950" }),
    keep: booleanFlag("keep", { short: "k" }),
  };
  const want = { connect: true, reply: "1s", port: "4950", keep: false };
  for (
    const args of [["-cr", "1s", "::1", "x"], ["-cr1s", "::1", "x"], ["::1", "-cr", "1s", "x"]]
  ) {
    const { values, positionals } = parseFlags(args, table);
    assertEquals([values, positionals], [want, ["::1", "x"]]);
  }
  assertEquals(parseFlags(["-kcp0"], table).values, {
    connect: true,
    reply: undefined,
    port: "0",
    keep: true,
  });
  assertEquals(parseFlags(["-p0"], table).values.port, "0");
  // Once an option takes a value, the rest of the argument is that value: -rc is --reply=c.
  assertEquals(parseFlags(["-rc"], table).values, {
    connect: false,
    reply: "c",
    port: "4950",
    keep: false,
  });
  assertThrows(() => parseFlags(["-cr"], table), /Option '-r, --reply <value>' argument missing/);
  assertThrows(() => parseFlags(["-cr", "-1"], table), /ambiguous: .* write --reply=-1/);
  assertThrows(() => parseFlags(["-cxr", "1"], table), {
    message: "Unknown option '-x' in '-cxr'",
  });
});

Deno.test("parseFlags() stops at --, so a positional may begin with -", () => {
  const table = { connect: booleanFlag("connect", { short: "c" }) };
  assertEquals(parseFlags(["::1", "--", "-hello"], table).positionals, ["::1", "-hello"]);
  const { values, positionals } = parseFlags(["-c", "--", "--", "-c"], table);
  assertEquals([values, positionals], [{ connect: true }, ["--", "-c"]]);
  assertThrows(() => parseFlags(["::1", "-hello"], table), {
    message: "Unknown option '-h' in '-hello'",
  });
});

Deno.test("parseFlags() gives each kind its typed value, checked by the kind, the last one winning", () => {
  const table = {
    port: portFlag("port", { short: "p", default: 3490, allowZero: false }),
    wait: durationFlag("wait", { short: "w", min: 0, max: 2000 }),
    count: integerFlag("count", { short: "n", min: 1, max: 10, default: 1 }),
    allow: listFlag("SPEC", "allow"),
    color: choiceFlag("WHEN", "colour", ["auto", "never"], { default: "auto" }),
  };
  const { values } = parseFlags(
    ["-p", "80", "-w", "1.5", "-n3", "--allow", "a", "--allow=b", "-p", "81", "--color=never"],
    table,
  );
  // Each value has its kind's type: these assignments are checked by the compiler.
  const port: number = values.port;
  const wait: number | undefined = values.wait;
  const count: number = values.count;
  const allow: string[] = values.allow;
  const color: "auto" | "never" = values.color;
  assertEquals([port, wait, count, allow, color], [81, 1500, 3, ["a", "b"], "never"]);
  assertEquals(parseFlags([], table).values, {
    port: 3490,
    wait: undefined,
    count: 1,
    allow: [],
    color: "auto",
  });
  assertThrows(() => parseFlags(["-p0"], table), {
    message: 'Invalid port "0": expected a whole number from 1 to 65535',
  });
  assertThrows(() => parseFlags(["-w", "3"], table), {
    message: 'Invalid --wait "3": expected a duration from 0 to 2s (2, 2s, 500ms, 1m)',
  });
  assertThrows(() => parseFlags(["-n", "11"], table), {
    message: 'Invalid --count "11": expected a whole number from 1 to 10',
  });
  assertThrows(() => parseFlags(["--color", "red"], table), {
    message: 'Cannot parse --color "red": expected auto or never',
  });
});

Deno.test("parseFlags() reports the shape of the line before any value: an unknown option wins", () => {
  const table = { port: portFlag("port", { short: "p" }) };
  assertThrows(() => parseFlags(["-p", "abc", "--nope"], table), {
    message: "Unknown option '--nope'",
  });
});

Deno.test("each tool's help is generated from its table: every option, its value's name and default", () => {
  for (const tool of [serverInfo, clientInfo, listenerInfo, talkerInfo]) {
    const table = tool.flags!;
    const start = tool.help.indexOf("Options:\n");
    const options = tool.help.slice(start, tool.help.indexOf("\n\n", start));
    assertEquals(options, `Options:\n${formatOptions(table)}`, tool.name);
    for (const [name, spec] of Object.entries(table)) {
      const spelling = `${spec.short ? `-${spec.short}, ` : ""}--${name}${
        spec.arg ? ` ${spec.arg}` : ""
      }`;
      assert(options.includes(spelling), `${tool.name}: ${spelling}`);
    }
  }
  // The defaults the tools use are the ones the help shows.
  assertEquals(parseServerArgs([]).port, DEFAULT_STREAM_PORT);
  assert(serverInfo.help.includes(`(default ${DEFAULT_STREAM_PORT})`));
  const client = parseClientArgs(["x"]).options;
  assertEquals([client.port, client.readTimeout], [DEFAULT_STREAM_PORT, DEFAULT_READ_TIMEOUT]);
  assert(clientInfo.help.includes(`(default ${DEFAULT_READ_TIMEOUT / 1000}s)`));
  assert(clientInfo.help.includes(`(default ${DEFAULT_MAX_BYTES}; `));
});
