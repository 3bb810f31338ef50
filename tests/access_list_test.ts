import { assertEquals, assertThrows, errorOf } from "./_assert.ts";
import { AccessList, AccessSpecError } from "../lib/net/access_list.ts";
import { parseFlags } from "../lib/cli/flags.ts";
import { listFlag, stringFlag } from "../lib/cli/flag_kinds.ts";

Deno.test("AccessList admits everyone when it has no rule", () => {
  const access = new AccessList({});
  for (const peer of ["127.0.0.1", "::1", "::ffff:10.1.2.3", "fe80::1%eth0"]) {
    assertEquals(access.admits(peer), true, peer);
  }
});

Deno.test("AccessList with allow rules admits only the peers that match one", () => {
  const access = new AccessList({ allow: ["10.0.0.0/8", "127.0.0.1", "fe80::/10"] });
  const cases: [string, boolean][] = [
    ["10.0.0.0", true],
    ["10.255.255.255", true],
    ["11.0.0.0", false],
    ["9.255.255.255", false],
    ["127.0.0.1", true],
    ["127.0.0.2", false],
    ["fe80::1", true],
    ["febf:ffff::1", true],
    ["fec0::1", false],
    ["fe80::1%eth0", true],
    ["::1", false],
  ];
  for (const [peer, admitted] of cases) assertEquals(access.admits(peer), admitted, peer);
});

Deno.test("AccessList: a deny rule wins over an allow rule", () => {
  const access = new AccessList({ allow: ["127.0.0.0/8"], deny: ["127.0.0.2", "127.1.0.0/16"] });
  assertEquals(access.admits("127.0.0.1"), true);
  assertEquals(access.admits("127.0.0.2"), false);
  assertEquals(access.admits("127.1.2.3"), false);
  const denyOnly = new AccessList({ deny: ["::1"] });
  assertEquals([denyOnly.admits("::1"), denyOnly.admits("127.0.0.1")], [false, true]);
});

Deno.test("AccessList matches an IPv4-mapped peer as its IPv4 address, in every spelling", () => {
  const access = new AccessList({ allow: ["127.0.0.0/8"], deny: ["127.0.0.2"] });
  assertEquals(access.admits("::ffff:127.0.0.1"), true);
  assertEquals(access.admits("::ffff:7f00:1"), true);
  assertEquals(access.admits("::FFFF:127.0.0.2"), false);
  assertEquals(access.admits("::127.0.0.1"), false); // IPv4-compatible is not mapped
  const v6 = new AccessList({ allow: ["::ffff:10.0.0.0/104"] });
  assertEquals([v6.admits("10.9.9.9"), v6.admits("11.0.0.1")], [true, false]);
});

Deno.test("AccessList reads every IPv6 spelling, /0 and /128", () => {
  const access = new AccessList({ allow: ["2001:db8::/32", "0:0:0:0:0:0:0:1/128"] });
  assertEquals(access.admits("2001:0db8:0:0:0:0:0:5"), true);
  assertEquals(access.admits("2001:db9::5"), false);
  assertEquals(access.admits("::1"), true);
  assertEquals(new AccessList({ allow: ["0.0.0.0/0"] }).admits("192.0.2.1"), true);
  assertEquals(new AccessList({ allow: ["0.0.0.0/0"] }).admits("::2"), false);
  // An IPv6 block is about IPv6 peers: ::/0 does not cover IPv4, even mapped.
  assertEquals(new AccessList({ deny: ["::/0"] }).admits("127.0.0.1"), true);
  assertEquals(new AccessList({ deny: ["::/0"] }).admits("::ffff:127.0.0.1"), true);
  assertEquals(new AccessList({ deny: ["::/0"] }).admits("::1"), false);
});

Deno.test("AccessList refuses a malformed spec, naming it and why", () => {
  const table: [string, RegExp][] = [
    ["300.1.1.1", /"300\.1\.1\.1": not an IP address or CIDR block/],
    ["10.0.0.0/33", /"10\.0\.0\.0\/33": prefix length must be from 0 to 32/],
    ["::1/129", /"::1\/129": prefix length must be from 0 to 128/],
    ["localhost", /"localhost": not an IP address/],
    ["", /"": not an IP address/],
    ["10.0.0.0/", /prefix length/],
    ["10.0.0.0/-1", /prefix length/],
    ["10.0.0.0/8/8", /prefix length/],
    ["1.2.3", /not an IP address/],
    ["::1%lo", /not an IP address/],
    [":::1", /not an IP address/],
  ];
  for (const [spec, pattern] of table) {
    assertThrows(() => new AccessList({ allow: [spec] }), errorOf(AccessSpecError, pattern));
    assertThrows(() => new AccessList({ deny: [spec] }), errorOf(AccessSpecError, pattern));
  }
});

Deno.test("parseFlags() keeps every value of a repeatable option, in order", () => {
  const table = {
    allow: listFlag("SPEC", "allow"),
    deny: listFlag("SPEC", "deny"),
    port: stringFlag("PORT", "port", { short: "p" }),
  };
  const { values } = parseFlags(
    ["--allow", "127.0.0.1", "--allow=::1", "-p", "1", "--allow", "10.0.0.0/8"],
    table,
  );
  assertEquals(values.allow, ["127.0.0.1", "::1", "10.0.0.0/8"]);
  assertEquals(values.deny, []);
  assertEquals(values.port, "1");
});

Deno.test("AccessList with only deny rules refuses what is not an address", () => {
  // Issue 18, bug 12: "localhost" and "" were admitted past a deny list.
  const access = new AccessList({ deny: ["10.0.0.0/8"] });
  assertEquals(access.empty, false); // documented inverted before
  assertEquals(access.admits("127.0.0.1"), true);
  assertEquals(access.admits("10.1.2.3"), false);
  assertEquals(access.admits("localhost"), false);
  assertEquals(access.admits(""), false);
  assertEquals(new AccessList({}).empty, true);
  assertEquals(new AccessList({}).admits("localhost"), true); // no rule: everyone
});
