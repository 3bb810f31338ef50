import { assertEquals, assertThrows } from "./_assert.ts";
import { UsageError } from "../lib/cli/errors.ts";
import { familyFlag, parseDuration, parseFlags, parseInteger } from "../lib/cli/flags.ts";

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
  assertThrows(() => parseFlags(["-p"], { port: { type: "string", short: "p" } }), UsageError);
});

Deno.test("familyFlag() refuses -4 and -6 together", () => {
  assertEquals(familyFlag(true, false, "any"), 4);
  assertEquals(familyFlag(false, true, "any"), 6);
  assertEquals(familyFlag(false, false, 6), 6);
  assertThrows(() => familyFlag(true, true, "any"), UsageError);
});

Deno.test("parseFlags() reads every spelling of a value, combined switches and --", () => {
  const table = {
    port: { type: "string" as const, short: "p", default: "1" },
    keep: { type: "boolean" as const, short: "k" },
    quiet: { type: "boolean" as const, short: "q" },
  };
  assertEquals(parseFlags([], table).values.port, "1");
  for (const args of [["-p", "80"], ["-p80"], ["--port", "80"], ["--port=80"]]) {
    assertEquals(parseFlags(args, table).values.port, "80");
  }
  assertEquals(parseFlags(["-kq", "x"], table), {
    values: { port: "1", keep: true, quiet: true },
    positionals: ["x"],
  });
  assertEquals(parseFlags(["--port=-1", "--", "-k", "-"], table).positionals, ["-k", "-"]);
  assertEquals(parseFlags(["--port=-1"], table).values.port, "-1");
  assertThrows(() => parseFlags(["-p", "-1"], table), /ambiguous: .* write --port=-1/);
  assertThrows(() => parseFlags(["--keep=yes"], table), /does not take an argument/);
  assertThrows(() => parseFlags(["-kx"], table), /Unknown option '-x'/);
});

Deno.test("parseFlags() bundles short switches with a value-taking option at the end, as getopt", () => {
  const table = {
    connect: { type: "boolean" as const, short: "c" },
    reply: { type: "string" as const, short: "r" },
    port: { type: "string" as const, short: "p", default: "4950" },
    keep: { type: "boolean" as const, short: "k" },
  };
  const want = { values: { port: "4950", connect: true, reply: "1s" }, positionals: ["::1", "x"] };
  assertEquals(parseFlags(["-cr", "1s", "::1", "x"], table), want);
  assertEquals(parseFlags(["-cr1s", "::1", "x"], table), want);
  assertEquals(parseFlags(["::1", "-cr", "1s", "x"], table), want);
  assertEquals(parseFlags(["-kcp0"], table).values, { port: "0", keep: true, connect: true });
  assertEquals(parseFlags(["-p0"], table).values, { port: "0" });
  // Once an option takes a value, the rest of the argument is that value: -rc is --reply=c.
  assertEquals(parseFlags(["-rc"], table).values, { port: "4950", reply: "c" });
  assertThrows(() => parseFlags(["-cr"], table), /Option '-r, --reply <value>' argument missing/);
  assertThrows(() => parseFlags(["-cr", "-1"], table), /ambiguous: .* write --reply=-1/);
  assertThrows(() => parseFlags(["-cxr", "1"], table), { message: "Unknown option '-x'" });
});

Deno.test("parseFlags() stops at --, so a positional may begin with -", () => {
  const table = { connect: { type: "boolean" as const, short: "c" } };
  assertEquals(parseFlags(["::1", "--", "-hello"], table).positionals, ["::1", "-hello"]);
  assertEquals(parseFlags(["-c", "--", "--", "-c"], table), {
    values: { connect: true },
    positionals: ["--", "-c"],
  });
  assertThrows(() => parseFlags(["::1", "-hello"], table), { message: "Unknown option '-h'" });
});
