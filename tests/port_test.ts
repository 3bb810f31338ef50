import { assertEquals, assertThrows } from "./_assert.ts";
import { UsageError } from "../lib/cli/errors.ts";
import { parsePort } from "../lib/cli/port.ts";

Deno.test("parsePort() accepts whole numbers from 0 to 65535", () => {
  assertEquals(parsePort("0"), 0);
  assertEquals(parsePort("3490"), 3490);
  assertEquals(parsePort("65535"), 65535);
});

Deno.test("parsePort() reads leading zeros as decimal, as nc's strtonum() does", () => {
  assertEquals(parsePort("036004"), 36004);
  assertEquals(parsePort("00080"), 80);
  assertEquals(parsePort("010"), 10); // not octal 8
  assertEquals(parsePort("000"), 0);
  assertEquals(parsePort("0000000000065535"), 65535);
});

for (
  const bad of [
    "abc",
    "-1",
    "65536",
    "1.5",
    "3.5",
    "",
    "0x10",
    " 80",
    "80 ",
    "+80",
    "1e3",
    "999999",
    "065536",
    "0x050",
    "-080",
    "+080",
    " 080",
    "080 ",
    "08.0",
    "9".repeat(40),
  ]
) {
  Deno.test(`parsePort() refuses ${JSON.stringify(bad)} naming the value`, () => {
    assertThrows(() => parsePort(bad), (err: unknown) => {
      return err instanceof UsageError && err.exitCode === 1 &&
        err.message.startsWith(`Invalid port ${JSON.stringify(bad)}: expected a whole number`);
    });
  });
}

Deno.test("parsePort() refuses 0 where a real port is needed", () => {
  assertThrows(() => parsePort("0", { allowZero: false }), /from 1 to 65535/);
  assertThrows(() => parsePort("000", { allowZero: false }), {
    message: 'Invalid port "000": expected a whole number from 1 to 65535',
  });
});
