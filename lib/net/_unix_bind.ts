/**
 * Binding a Unix socket path, taking over a stale file (internal to the library): a socket
 * file with nobody listening is removed and bound again; a live one is refused with
 * "Address already in use"; a file that is not a socket is never removed.
 *
 * @module
 */
import { NetError } from "./errors.ts";
import { startTimer } from "./_timer.ts";
import type { OnStep } from "./steps.ts";
import type { UnixAddress } from "./unix_address.ts";
import { unixOpError } from "./unix_grants.ts";

/** How long the probe of an existing file may take before its owner counts as alive. */
const PROBE_MS = 1000;

/** A bound socket and the identity of the file it made (to remove that file only). */
export interface BoundUnix<T> {
  /** The socket. */
  socket: T;
  /** The inode of the socket file, or undefined for an abstract name. */
  ino: number | undefined;
}

/**
 * Binds `address` with `bind`, taking over a stale socket file once.
 *
 * @param address Where.
 * @param network `unix` (stream) or `unixgram` (datagram).
 * @param bind Makes and binds the socket (`Deno.listen`, `Deno.listenDatagram`).
 * @param onStep Told of `socket`, `bind`, and for a stale file the probe's `connect` and
 * the `unlink`.
 * @returns The socket and its file's inode.
 * @throws {NetError} Op `listen`: "address already in use" for a live socket or a file that
 * is not a socket; a {@linkcode GrantError} for a missing grant.
 */
export async function bindUnix<T>(
  address: UnixAddress,
  network: "unix" | "unixgram",
  bind: (path: string) => T,
  onStep?: OnStep,
): Promise<BoundUnix<T>> {
  const type = network === "unix" ? "stream" : "dgram";
  const at = { path: address.path };
  onStep?.({ call: "socket", family: "unix", type });
  for (let tries = 0;; tries++) {
    try {
      const socket = bind(address.path);
      onStep?.({ call: "bind", family: "unix", type, address: at });
      return {
        socket,
        ino: address.abstract ? undefined : Deno.lstatSync(address.path).ino ?? undefined,
      };
    } catch (cause) {
      onStep?.({ call: "bind", family: "unix", type, address: at, error: cause });
      const inUse = cause instanceof Deno.errors.AddrInUse;
      if (!inUse || address.abstract || tries > 0) {
        throw unixOpError("listen", network, address, "bind", cause);
      }
      const file = await probe(address, onStep);
      if (file === "live") throw new NetError("listen", network, address.display, cause);
      if (file === "not-a-socket") {
        const notSocket = new Deno.errors.AddrInUse(
          "Address already in use: the file is not a socket",
        );
        throw new NetError("listen", network, address.display, notSocket);
      }
      try {
        Deno.removeSync(address.path);
        onStep?.({ call: "unlink", type, address: at });
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) {
          throw unixOpError("listen", network, address, "bind", error);
        }
      }
    }
  }
}

/**
 * Whether anyone owns the socket file: a stream `connect()` is refused by a file nobody
 * has bound, whatever its socket type; a bound datagram socket answers "wrong type". The
 * probe is told as a stream `connect` step.
 */
async function probe(
  address: UnixAddress,
  onStep?: OnStep,
): Promise<"live" | "stale" | "not-a-socket"> {
  const at = { path: address.path };
  onStep?.({ call: "connect", phase: "start", family: "unix", type: "stream", address: at });
  let cancelTimer = () => {};
  const late = new Promise<"timeout">((resolve) => {
    cancelTimer = startTimer(PROBE_MS, () => resolve("timeout"));
  });
  const connecting = Deno.connect({ transport: "unix", path: address.path });
  try {
    const got = await Promise.race([connecting, late]);
    if (got === "timeout") {
      connecting.then((conn) => conn.close(), () => {});
      onStep?.({ call: "connect", phase: "end", type: "stream", address: at, reason: "deadline" });
      return "live";
    }
    got.close();
    onStep?.({ call: "connect", phase: "end", type: "stream", address: at });
    return "live";
  } catch (cause) {
    onStep?.({ call: "connect", phase: "end", type: "stream", address: at, error: cause });
    if (cause instanceof Deno.errors.NotFound) return "stale";
    if (!(cause instanceof Deno.errors.ConnectionRefused)) return "live";
    try {
      return Deno.lstatSync(address.path).isSocket ? "stale" : "not-a-socket";
    } catch {
      return "stale";
    }
  } finally {
    cancelTimer();
  }
}

/**
 * Removes the socket file if it is still the one this socket made (a later server may
 * have taken the path over); nothing for an abstract name or a file already gone.
 *
 * @param address The bound address.
 * @param ino The inode the bind made.
 * @param onStep Told of the `unlink`.
 */
export function removeOwnFile(
  address: UnixAddress,
  ino: number | undefined,
  onStep?: OnStep,
): void {
  if (address.abstract || ino === undefined) return;
  try {
    if (Deno.lstatSync(address.path).ino !== ino) return;
    Deno.removeSync(address.path);
    onStep?.({ call: "unlink", address: { path: address.path } });
  } catch {
    // Already gone (Deno removes a stream socket's file itself), or no longer ours to remove.
  }
}
