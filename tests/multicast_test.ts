// Multicast in the library against python3 senders and receivers, inside a network
// namespace each test makes (lo with multicast for IPv4, a veth pair for IPv6). Skipped,
// with the reason printed, only where a namespace cannot be made.
import { assert, assertEquals } from "./_assert.ts";
import { denoScript, makeNamespace, namespaceUnavailable, nsRun, nsStart } from "./_netns.ts";
import { tempDir } from "./_unix.ts";
import { toolArgs } from "./_tools.ts";

const unavailable = namespaceUnavailable();
if (unavailable) console.log(`skipped: multicast tests: ${unavailable}`);

const PY_SEND = `
import socket, sys
fam, group, port, iface, data = sys.argv[1:6]
if fam == "4":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(iface))
else:
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex(iface))
s.sendto(data.encode(), (group, int(port)))
`;

const PY_RECV = `
import json, socket, struct, sys
fam, group, port, iface, wait = sys.argv[1:6]
if fam == "4":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", int(port)))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(group) + socket.inet_aton(iface))
    s.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_RECVTTL", 12), 1)
else:
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind(("::", int(port)))
    mreq = socket.inet_pton(socket.AF_INET6, group) + struct.pack("@I", socket.if_nametoindex(iface))
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
print("ready", flush=True)
s.settimeout(float(wait))
try:
    data, anc, _, addr = s.recvmsg(65536, 1024)
    ttl = None
    for level, kind, raw in anc:
        if level == socket.IPPROTO_IP and kind == socket.IP_TTL:
            ttl = struct.unpack("@i", raw[:4])[0]
    print(json.dumps({"data": data.decode(), "ttl": ttl, "from": addr[0]}), flush=True)
except socket.timeout:
    print("timeout", flush=True)
`;

/** The receiving side in Deno: join `group` on `iface`, say ready, print one datagram, leave. */
const DENO_RECV = `
import { joinGroups } from "socketkit/multicast";
const [group, port, iface] = Deno.args;
const sock = Deno.listenDatagram({ transport: "udp", hostname: group.includes(":") ? "::" : "0.0.0.0", port: Number(port) });
const joined = await joinGroups(sock, [group], { interface: iface });
console.log("ready");
const [data, from] = await sock.receive();
console.log(JSON.stringify({ data: new TextDecoder().decode(data), from: from.hostname }));
await joined.leave();
console.log("left");
await new Promise((r) => setTimeout(r, 15_000)); // held open while the test looks
sock.close();
`;

/** The sending side in Deno: bind by the interface, set TTL and loop, send one datagram. */
const DENO_SEND = `
import { groupSendAddress, multicastFamily, resolveInterface, setGroupSending } from "socketkit/multicast";
const [group, port, iface, ttl, loop, data] = Deno.args;
const family = multicastFamily(group);
const hostname = groupSendAddress(family, resolveInterface(iface, family));
const sock = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
try {
  await setGroupSending(sock, group, { ttl: ttl === "" ? undefined : Number(ttl), loop: loop === "loop", interface: iface });
  await sock.send(new TextEncoder().encode(data), { transport: "udp", hostname: group, port: Number(port) });
  console.log("sent");
} finally {
  sock.close();
}
`;

const GRANTS = ["--allow-net", "--allow-sys=networkInterfaces"];

async function groupsOn(ns: string, dev: string): Promise<string> {
  return await nsRun(ns, "ip", ["maddr", "show", "dev", dev]);
}

Deno.test({
  name: "joinGroups() receives a python3 sender's IPv4 group datagram on lo, and leaves the group",
  ignore: unavailable !== undefined,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using ns = await makeNamespace();
    await using dir = await tempDir();
    const args = await denoScript(dir.path, DENO_RECV, GRANTS);
    await using receiver = nsStart(ns.name, Deno.execPath(), [...args, "239.1.2.3", "4950", "lo"]);
    assertEquals(await receiver.line(), "ready");
    assert((await groupsOn(ns.name, "lo")).includes("239.1.2.3"), "not joined");
    await nsRun(ns.name, "python3", [
      "-c",
      PY_SEND,
      "4",
      "239.1.2.3",
      "4950",
      "127.0.0.1",
      "hi group",
    ]);
    assertEquals(JSON.parse(await receiver.line()), { data: "hi group", from: "127.0.0.1" });
    assertEquals(await receiver.line(), "left");
    assertEquals((await groupsOn(ns.name, "lo")).includes("239.1.2.3"), false);
  },
});

Deno.test({
  name:
    "setGroupSending() sends to an IPv4 group with the TTL asked for, out of the interface named",
  ignore: unavailable !== undefined,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using ns = await makeNamespace();
    await using dir = await tempDir();
    for (const [ttl, seen] of [["7", 7], ["", 1]] as const) {
      await using receiver = nsStart(ns.name, "python3", [
        "-c",
        PY_RECV,
        "4",
        "239.4.5.6",
        "4952",
        "127.0.0.1",
        "5",
      ]);
      assertEquals(await receiver.line(), "ready");
      const send = await denoScript(dir.path, DENO_SEND, GRANTS);
      const out = await nsRun(ns.name, Deno.execPath(), [
        ...send,
        "239.4.5.6",
        "4952",
        "lo",
        ttl,
        "loop",
        "to the group",
      ]);
      assertEquals(out, "sent\n");
      assertEquals(JSON.parse(await receiver.line()), {
        data: "to the group",
        ttl: seen,
        from: "127.0.0.1",
      });
    }
  },
});

Deno.test({
  name:
    "IPv6 over a veth: a group joined by interface name receives python3; our sender's loop on and off",
  ignore: unavailable !== undefined,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using ns = await makeNamespace();
    await using dir = await tempDir();
    const group = "ff12::1234";
    {
      const args = await denoScript(dir.path, DENO_RECV, GRANTS);
      await using receiver = nsStart(ns.name, Deno.execPath(), [...args, group, "4953", "veth0"]);
      assertEquals(await receiver.line(), "ready");
      assert((await groupsOn(ns.name, "veth0")).includes(group), "not joined on veth0");
      await nsRun(ns.name, "python3", ["-c", PY_SEND, "6", group, "4953", "veth0", "hi six"]);
      const got = JSON.parse(await receiver.line());
      assertEquals(got.data, "hi six");
      assert(/^fe80:/.test(got.from), got.from);
    }
    // The receiver joins on the interface the sender leaves by (the veth peers are in one
    // namespace, so the far end drops it): it gets the datagram only through the loop.
    for (const [loop, expect] of [["loop", "looped"], ["no-loop", "timeout"]] as const) {
      await using receiver = nsStart(ns.name, "python3", [
        "-c",
        PY_RECV,
        "6",
        group,
        "4954",
        "veth0",
        loop === "loop" ? "5" : "1.5",
      ]);
      assertEquals(await receiver.line(), "ready");
      const send = await denoScript(dir.path, DENO_SEND, GRANTS);
      const out = await nsRun(ns.name, Deno.execPath(), [
        ...send,
        group,
        "4954",
        "veth0",
        "",
        loop,
        "looped",
      ]);
      assertEquals(out, "sent\n");
      const line = await receiver.line();
      assertEquals(line === "timeout" ? line : JSON.parse(line).data, expect, `with ${loop}`);
    }
  },
});

Deno.test({
  name: "a local network's directed broadcast is recognised with the interface list granted",
  ignore: unavailable !== undefined,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using ns = await makeNamespace();
    await using dir = await tempDir();
    const script = `
      import { directedBroadcasts, isBroadcastAddress } from "socketkit/multicast";
      console.log(JSON.stringify([directedBroadcasts(), isBroadcastAddress("10.9.0.255"), isBroadcastAddress("10.9.0.7")]));`;
    const granted = await nsRun(
      ns.name,
      Deno.execPath(),
      await denoScript(dir.path, script, GRANTS),
    );
    assertEquals(JSON.parse(granted), [["127.255.255.255", "10.9.0.255"], true, false]);
    const denied = await nsRun(
      ns.name,
      Deno.execPath(),
      await denoScript(dir.path, script, ["--allow-net"]),
    );
    assertEquals(JSON.parse(denied), [[], false, false]);
  },
});

Deno.test({
  name: "talker to a group: --ttl, --interface by name, --no-loop; a broadcast needs --broadcast",
  ignore: unavailable !== undefined,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using ns = await makeNamespace();
    const talker = (args: string[]) =>
      new Deno.Command("ip", {
        args: ["netns", "exec", ns.name, Deno.execPath(), ...toolArgs("talker", args, GRANTS)],
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(20_000),
      }).output().then((o) => ({
        code: o.code,
        stdout: new TextDecoder().decode(o.stdout),
        stderr: new TextDecoder().decode(o.stderr),
      }));
    {
      await using receiver = nsStart(ns.name, "python3", [
        "-c",
        PY_RECV,
        "4",
        "239.7.7.7",
        "4955",
        "127.0.0.1",
        "5",
      ]);
      assertEquals(await receiver.line(), "ready");
      const res = await talker([
        "-p",
        "4955",
        "--ttl",
        "9",
        "--interface",
        "lo",
        "239.7.7.7",
        "hi",
      ]);
      assertEquals([res.code, res.stdout], [0, "talker: sent 2 bytes to 239.7.7.7\n"], res.stderr);
      assertEquals(JSON.parse(await receiver.line()), { data: "hi", ttl: 9, from: "127.0.0.1" });
    }
    {
      // IPv6 out of veth0 with the loop off: a member on veth0 of this host hears nothing.
      await using receiver = nsStart(ns.name, "python3", [
        "-c",
        PY_RECV,
        "6",
        "ff12::77",
        "4956",
        "veth0",
        "1.5",
      ]);
      assertEquals(await receiver.line(), "ready");
      const res = await talker([
        "-p",
        "4956",
        "--no-loop",
        "--interface",
        "veth0",
        "ff12::77",
        "x",
      ]);
      assertEquals(res.code, 0, res.stderr);
      assertEquals(await receiver.line(), "timeout");
    }
    const refused = await talker(["-4", "-p", "4957", "10.9.0.255", "hi"]);
    assertEquals([refused.code, refused.stderr], [
      1,
      'talker: Address "10.9.0.255" is a broadcast address: add --broadcast to send to it\n',
    ]);
    const sent = await talker(["-4", "-p", "4957", "--broadcast", "10.9.0.255", "hi"]);
    assertEquals(
      [sent.code, sent.stdout],
      [0, "talker: sent 2 bytes to 10.9.0.255\n"],
      sent.stderr,
    );
    const noGroup = await talker(["-p", "4957", "-c", "239.7.7.7", "hi"]);
    assertEquals(noGroup.code, 1);
    assert(noGroup.stderr.includes("has no one peer to answer"), noGroup.stderr);
  },
});

/** Sends to a group from a unicast socket and prints what comes back to that socket. */
const PY_ASK = `
import json, socket, sys
group, port, data, wait = sys.argv[1:5]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(float(wait))
s.sendto(data.encode(), (group, int(port)))
try:
    got, addr = s.recvfrom(65536)
    print(json.dumps({"data": got.decode(), "from": addr[0]}), flush=True)
except socket.timeout:
    print("timeout", flush=True)
`;

Deno.test({
  name:
    "listener --join: group datagrams are printed, echoed to the sender (never the group), and refused by --deny",
  ignore: unavailable !== undefined,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using ns = await makeNamespace();
    const listener = (args: string[]) =>
      nsStart(ns.name, Deno.execPath(), toolArgs("listener", args, GRANTS));
    {
      await using tool = listener([
        "-p",
        "4960",
        "--join",
        "239.2.2.2",
        "--interface",
        "lo",
        "--echo",
        "-c",
        "1",
      ]);
      assertEquals(await tool.line(), "listener: waiting to recvfrom...");
      // The asker's socket is bound to 127.0.0.1 and is no member: an echo reaches it only
      // when sent to it, not to the group.
      const asked = await nsRun(ns.name, "python3", [
        "-c",
        PY_ASK,
        "239.2.2.2",
        "4960",
        "ping",
        "5",
      ]);
      assertEquals(JSON.parse(asked), { data: "ping", from: "127.0.0.1" });
      assertEquals(await tool.line(), "listener: got packet from ::ffff:127.0.0.1");
      assertEquals((await tool.done).code, 0);
    }
    {
      await using tool = listener([
        "-p",
        "4961",
        "--join",
        "239.2.2.3",
        "--deny",
        "127.0.0.1",
        "-c",
        "1",
      ]);
      assertEquals(await tool.line(), "listener: waiting to recvfrom...");
      await nsRun(ns.name, "python3", ["-c", PY_SEND, "4", "239.2.2.3", "4961", "127.0.0.1", "no"]);
      const refused = await tool.line();
      assert(refused.includes("refused datagram from 127.0.0.1"), refused);
    }
  },
});

/** Sends one UDP datagram over IPv6 whose source address is `::` (a raw socket: root). */
const PY_SPOOF_UNSPECIFIED = `
import socket, struct, sys
dst, port, sport, data = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].encode()
s6, d6 = socket.inet_pton(socket.AF_INET6, "::"), socket.inet_pton(socket.AF_INET6, dst)
length = 8 + len(data)
def csum(b):
    if len(b) % 2: b += b"\\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16: t = (t & 0xffff) + (t >> 16)
    return (~t) & 0xffff
udp = struct.pack("!HHHH", sport, port, length, 0) + data
c = csum(s6 + d6 + struct.pack("!IxxxB", length, 17) + udp) or 0xffff
udp = struct.pack("!HHHH", sport, port, length, c) + data
hdr = struct.pack("!IHBB", 6 << 28, length, 17, 64) + s6 + d6
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.sendto(hdr + udp, (dst, 0))
`;

/** Sends one datagram from ::1 and prints the echo (or "timeout"). */
const PY_ASK6 = `
import socket, sys
port, data = int(sys.argv[1]), sys.argv[2].encode()
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::1", 0))
s.settimeout(5)
s.sendto(data, ("::1", port))
try:
    print(s.recvfrom(65536)[0].decode(), flush=True)
except socket.timeout:
    print("timeout", flush=True)
`;

Deno.test({
  name:
    "listener --echo does not answer a datagram from :: (the echo would reach its own loopback), counted as unspecified",
  ignore: unavailable !== undefined,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using ns = await makeNamespace();
    await using tool = nsStart(
      ns.name,
      Deno.execPath(),
      toolArgs("listener", ["-p", "4962", "--echo", "-c", "2", "-q"], GRANTS),
    );
    assertEquals(await tool.line(), "listener: waiting to recvfrom...");
    // Its echo would go to [::]:40000, which the kernel delivers to [::1]:40000.
    await nsRun(ns.name, "python3", ["-c", PY_SPOOF_UNSPECIFIED, "::1", "4962", "40000", "zero"]);
    // An honest sender after it: handled in order, so the forged one was decided first.
    assertEquals(await nsRun(ns.name, "python3", ["-c", PY_ASK6, "4962", "real"]), "real\n");
    assertEquals(
      await tool.line(),
      "listener: received 2 datagrams, 8 bytes, echoed 1, not echoed 1 (unspecified 1)",
    );
    assertEquals((await tool.done).code, 0);
  },
});

Deno.test({
  name:
    "listener --join: a group of the other family than -4/-6 and a repeated group are usage errors (exit 1)",
  ignore: unavailable !== undefined,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using ns = await makeNamespace();
    const cases: [string[], string][] = [
      [
        ["-4", "--join", "ff15::1"],
        'listener: Group "ff15::1" is an IPv6 group: an IPv4 listener (-4) cannot join it\n',
      ],
      [
        ["-6", "--join", "239.1.2.3"],
        'listener: Group "239.1.2.3" is an IPv4 group: -6 listens on IPv6 only\n',
      ],
      [
        ["--join", "239.1.2.3", "--join", "239.1.2.3"],
        'listener: Group "239.1.2.3" is given twice: join each group once\n',
      ],
    ];
    for (const [args, message] of cases) {
      await using tool = nsStart(
        ns.name,
        Deno.execPath(),
        toolArgs("listener", ["-p", "4964", ...args], GRANTS),
      );
      const { code, stderr } = await tool.done;
      assertEquals([code, stderr], [1, message], args.join(" "));
    }
  },
});
