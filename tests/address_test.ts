import { assertEquals } from "./_assert.ts";
import { addressKey, ipFamily, joinHostPort, sameAddress, toV4Mapped } from "../lib/net/address.ts";

Deno.test("ipFamily() tells IPv4 and IPv6 literals from names", () => {
  assertEquals(ipFamily("127.0.0.1"), 4);
  assertEquals(ipFamily("0.0.0.0"), 4);
  assertEquals(ipFamily("::1"), 6);
  assertEquals(ipFamily("::ffff:127.0.0.1"), 6);
  assertEquals(ipFamily("fe80::1:2"), 6);
  assertEquals(ipFamily("localhost"), undefined);
  assertEquals(ipFamily("256.0.0.1"), undefined);
  assertEquals(ipFamily("1.2.3"), undefined);
  assertEquals(ipFamily("1:2:3"), undefined);
  assertEquals(ipFamily(""), undefined);
});

Deno.test("joinHostPort() brackets IPv6 as Go's net does", () => {
  assertEquals(joinHostPort("127.0.0.1", 3490), "127.0.0.1:3490");
  assertEquals(joinHostPort("::1", 3490), "[::1]:3490");
  assertEquals(joinHostPort("::ffff:127.0.0.1", 1), "[::ffff:127.0.0.1]:1");
});

Deno.test("addresses print as the original prints them", () => {
  assertEquals(toV4Mapped("127.0.0.1"), "::ffff:127.0.0.1");
});

Deno.test("sameAddress() matches one endpoint however it is spelled", () => {
  assertEquals(addressKey("::FFFF:7f00:1"), "127.0.0.1");
  assertEquals(addressKey("0:0:0:0:0:0:0:1"), "::1");
  assertEquals(
    sameAddress({ hostname: "::ffff:127.0.0.1", port: 1 }, { hostname: "127.0.0.1", port: 1 }),
    true,
  );
  assertEquals(sameAddress({ hostname: "::1", port: 1 }, { hostname: "::1", port: 2 }), false);
  assertEquals(
    sameAddress({ hostname: "127.0.0.2", port: 1 }, { hostname: "127.0.0.1", port: 1 }),
    false,
  );
});
