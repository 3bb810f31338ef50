// A flood of 100,000 datagrams at full speed: the listener stays up, and its count is honest —
// what it says it received plus what the kernel says it dropped is exactly what was sent.
import { assert, assertEquals } from "./_assert.ts";
import { bytes, startTool, text, udpSocket } from "./_tools.ts";
import { dropsFromUdpTable } from "../testing/udp_drops.ts";
import { waitRead } from "../testing/ready.ts";

/** The kernel's drop counter for the UDP socket bound to `port` (/proc/net/udp6), if readable. */
async function kernelDrops(port: number): Promise<number | undefined> {
  // Deno asks for --allow-all to read /proc; cat does not.
  const out = await new Deno.Command("cat", {
    args: ["/proc/net/udp6"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return dropsFromUdpTable(text(out.stdout), port);
}

Deno.test("listener -k under a flood of 100,000 datagrams stays up and counts honestly", async () => {
  const { proc, port } = await startTool("listener", ["-k", "-q"]);
  await using _listener = proc;
  const dropsBefore = await kernelDrops(port) ?? 0;
  using sender = udpSocket("::1");
  const payload = bytes("flood datagram 0123456789");
  const to = { transport: "udp" as const, hostname: "::1", port };
  const t0 = performance.now();
  for (let i = 0; i < 100_000; i++) await sender.send(payload, to);
  const ms = performance.now() - t0;
  // Once the listener has read everything queued, received + dropped is final.
  await waitRead("udp", port, 30_000);
  const drops = await kernelDrops(port);
  proc.kill("SIGINT");
  assertEquals(await proc.exit(), 0);
  const m = /received (\d+) datagrams, (\d+) bytes\n$/.exec(proc.stdout);
  assert(m, proc.stdout);
  const received = Number(m[1]);
  console.log(
    `flood: sent 100000 in ${ms.toFixed(0)} ms (${Math.round(100_000 / ms * 1000)}/s); ` +
      `listener received ${received}; kernel dropped ${
        drops === undefined ? "?" : drops - dropsBefore
      }`,
  );
  assert(received > 0 && received <= 100_000);
  assertEquals(Number(m[2]), received * payload.length);
  if (drops !== undefined) assertEquals(received + drops - dropsBefore, 100_000);
});
