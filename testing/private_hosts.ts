/**
 * A private `/etc/hosts`, for the tests and the benchmark: a host name with the addresses we
 * choose (`::1` and `127.0.0.1` for one name), in a mount namespace of our own. Needs root
 * and `unshare`; python3 for the black holes that go with it.
 *
 * @module
 */
import { canBlackHole } from "./black_hole.ts";

/** The command that runs the rest of the line with `hostsFile` as /etc/hosts. */
export function withHosts(hostsFile: string): string[] {
  return ["unshare", "-m", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"', hostsFile];
}

/** Why a private /etc/hosts cannot be had here, or undefined when it can. */
export function privateHostsUnavailable(): string | undefined {
  if (!canBlackHole) return "python3 is not installed";
  const file = Deno.makeTempFileSync({ suffix: ".hosts" });
  try {
    Deno.writeTextFileSync(file, "127.0.0.1 probe.test\n");
    const [cmd, ...args] = [...withHosts(file), "cat", "/etc/hosts"];
    const res = new Deno.Command(cmd!, { args, stdout: "piped", stderr: "piped" }).outputSync();
    const seen = new TextDecoder().decode(res.stdout);
    if (seen.includes("probe.test")) return undefined;
    return `unshare -m cannot bind a hosts file: ${new TextDecoder().decode(res.stderr).trim()}`;
  } catch (err) {
    return `unshare is not available: ${err}`;
  } finally {
    Deno.removeSync(file);
  }
}
