// A network namespace of the test's own for the multicast tests: `lo` up with multicast on
// and a 224.0.0.0/4 route, and a veth pair for IPv6. Processes run inside it with
// `ip netns exec`; it is deleted after. Where it cannot be made (not root, no `ip`), the
// reason is returned so the tests are skipped with it printed.
import { hasCommand } from "../testing/commands.ts";
import { libraryScript } from "./_unix.ts";

/** A namespace, deleted on dispose. */
export interface Namespace extends AsyncDisposable {
  name: string;
}

/** Why no namespace can be made here, or undefined when one can. */
export function namespaceUnavailable(): string | undefined {
  if (Deno.build.os !== "linux") return "network namespaces are Linux only";
  if (!hasCommand("ip")) return "ip (iproute2) is not installed";
  if (!hasCommand("python3")) return "python3 is not installed";
  const uid = new Deno.Command("id", { args: ["-u"], stdout: "piped" }).outputSync();
  if (new TextDecoder().decode(uid.stdout).trim() !== "0") {
    return "making a network namespace needs root";
  }
  return undefined;
}

async function ip(args: string[]): Promise<void> {
  const out = await new Deno.Command("ip", { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

/**
 * Makes the namespace: `lo` up, multicast on, 224.0.0.0/4 routed to it with 127.0.0.1 as
 * source; `veth0`/`veth1` up without duplicate address detection, `veth0` with 10.9.0.1/24,
 * and IPv6 groups routed out of `veth0` only.
 */
export async function makeNamespace(): Promise<Namespace> {
  const name = `sk-mc-${Deno.pid}-${Math.floor(Math.random() * 1e6)}`;
  await ip(["netns", "add", name]);
  const ns = {
    name,
    [Symbol.asyncDispose]: () => ip(["netns", "delete", name]),
  };
  try {
    const inside = (args: string[]) => ip(["-n", name, ...args]);
    await nsRun(name, "sysctl", [
      "-qw",
      "net.ipv6.conf.all.accept_dad=0",
      "net.ipv6.conf.default.accept_dad=0",
    ]);
    await inside(["link", "set", "lo", "up", "multicast", "on"]);
    await inside(["route", "add", "224.0.0.0/4", "dev", "lo", "src", "127.0.0.1"]);
    await inside(["link", "add", "veth0", "type", "veth", "peer", "name", "veth1"]);
    await inside(["link", "set", "veth0", "up"]);
    await inside(["link", "set", "veth1", "up"]);
    await inside(["addr", "add", "10.9.0.1/24", "dev", "veth0"]);
    await inside(["-6", "route", "del", "multicast", "ff00::/8", "dev", "veth1", "table", "local"]);
    await waitForLinkLocal(name, "veth0");
    return ns;
  } catch (err) {
    await ns[Symbol.asyncDispose]().catch(() => {});
    throw err;
  }
}

async function waitForLinkLocal(ns: string, dev: string): Promise<void> {
  for (const end = performance.now() + 10_000; performance.now() < end;) {
    const out = await new Deno.Command("ip", {
      args: ["-n", ns, "-6", "addr", "show", "dev", dev, "scope", "link"],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (/inet6 fe80:/.test(new TextDecoder().decode(out.stdout))) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${dev} has no link-local address after 10s`);
}

/** Runs a program inside the namespace to its end (bounded), failing on a non-zero exit. */
export async function nsRun(ns: string, cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command("ip", {
    args: ["netns", "exec", ns, cmd, ...args],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(20_000),
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  if (!out.success) throw new Error(`${cmd} failed (${out.code}): ${decode(out.stderr)}`);
  return decode(out.stdout);
}

/** A process in the namespace whose stdout lines can be awaited. */
export interface NsProcess extends AsyncDisposable {
  /** Waits (bounded) for the next line of stdout. */
  line(timeout?: number): Promise<string>;
  /** Its exit code and stderr, once it ends. */
  done: Promise<{ code: number; stderr: string }>;
}

/** Starts `cmd` inside the namespace; killed and reaped on dispose. */
export function nsStart(ns: string, cmd: string, args: string[], timeout = 30_000): NsProcess {
  const child = new Deno.Command("ip", {
    args: ["netns", "exec", ns, cmd, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeout);
  const stderr = new Response(child.stderr).text();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const done = child.status.then(async (s) => ({ code: s.code, stderr: await stderr }))
    .finally(() => clearTimeout(timer));
  return {
    done,
    async line(wait = 10_000) {
      let t: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        t = setTimeout(() => reject(new Error(`No line from ${cmd} in ${wait}ms`)), wait);
      });
      try {
        while (!buffer.includes("\n")) {
          const { value, done: ended } = await Promise.race([lines.read(), late]);
          if (ended) throw new Error(`${cmd} ended: ${(await done).stderr}`);
          buffer += value;
        }
      } finally {
        clearTimeout(t);
      }
      const at = buffer.indexOf("\n");
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
      return line;
    },
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch { /* already ended */ }
      await lines.cancel().catch(() => {});
      await done.catch(() => {});
    },
  };
}

/**
 * Writes a Deno script (which may `import … from "socketkit"`) to `dir` and returns the
 * arguments that run it with `grants`.
 */
export async function denoScript(dir: string, body: string, grants: string[]): Promise<string[]> {
  const file = `${dir}/script-${Math.floor(Math.random() * 1e9)}.ts`;
  await Deno.writeTextFile(
    file,
    libraryScript(body),
  );
  return ["run", "--no-prompt", "--quiet", "--unstable-net", "--no-config", ...grants, file];
}
