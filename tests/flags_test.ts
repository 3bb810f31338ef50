import { assertEquals, assertThrows } from "./_assert.ts";
import { UsageError } from "../lib/errors.ts";
import { familyFlag, parseDuration, parseFlags, parseInteger } from "../lib/flags.ts";

Deno.test("parseDuration() reads milliseconds and seconds", () => {
  assertEquals(parseDuration("--t", "1500"), 1500);
  assertEquals(parseDuration("--t", "250ms"), 250);
  assertEquals(parseDuration("--t", "2s"), 2000);
  assertEquals(parseDuration("--t", "0.5s"), 500);
  for (const bad of ["", "0", "-1", "abc", "1m", "1e3", "2 s"]) {
    assertThrows(() => parseDuration("--t", bad), UsageError);
  }
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
