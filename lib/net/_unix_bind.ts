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
import { SUN_PATH_MAX, type UnixAddress } from "./unix_address.ts";
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
 * Binds `address` with `bind`, taking over a stale socket file once. A stream socket is
 * bound to a temporary name beside the path and then linked to the path (`link()` fails
 * if a file is there, so nothing is ever replaced): Deno's `UnixListener.close()` removes
 * the path it bound without looking at what is there, so it then removes only the
 * temporary name, and the listener removes the path itself if the file is still its own.
 * When the directory is not granted (only the path is), the stream socket is bound to the
 * path itself, and Deno's close removes whatever is at the path then.
 *
 * @param address Where.
 * @param network `unix` (stream) or `unixgram` (datagram).
 * @param bind Makes and binds the socket (`Deno.listen`, `Deno.listenDatagram`).
 * @param onStep Told of `socket`, `bind`, `link`, and for a stale file the probe's
 * `connect` and the `unlink`.
 * @returns The socket and its file's inode.
 * @throws {NetError} Op `listen`: "address already in use" for a live socket, a file that
 * is not a socket, or a symbolic link; a {@linkcode GrantError} for a missing grant.
 */
export async function bindUnix<T extends { close(): void }>(
  address: UnixAddress,
  network: "unix" | "unixgram",
  bind: (path: string) => T,
  onStep?: OnStep,
): Promise<BoundUnix<T>> {
  const type = network === "unix" ? "stream" : "dgram";
  onStep?.({ call: "socket", family: "unix", type });
  if (network === "unix" && !address.abstract) {
    const staged = await bindStaged(address, bind, onStep);
    if (staged) return staged;
  }
  const at = { path: address.path };
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
      await takeOver(address, network, cause, onStep);
    }
  }
}

/**
 * Binds a stream socket to a temporary name beside the path and links it to the path;
 * undefined (nothing left behind) when the temporary name cannot be bound (the directory
 * is not granted, the name would be too long) or linked (other than because a file is
 * at the path).
 */
async function bindStaged<T extends { close(): void }>(
  address: UnixAddress,
  bind: (path: string) => T,
  onStep?: OnStep,
): Promise<BoundUnix<T> | undefined> {
  const slash = address.path.lastIndexOf("/");
  const dir = slash === -1 ? "" : address.path.slice(0, slash + 1);
  const random = crypto.getRandomValues(new Uint32Array(1))[0]!.toString(36);
  const temporary = `${dir}.sk-${Deno.pid}-${random}.sock`;
  if (new TextEncoder().encode(temporary).length > SUN_PATH_MAX - 1) return undefined;
  let socket: T;
  try {
    socket = bind(temporary);
  } catch {
    return undefined; // not granted, or not possible here: bind the path itself
  }
  const at = { path: address.path };
  onStep?.({ call: "bind", family: "unix", type: "stream", address: { path: temporary } });
  try {
    for (let tries = 0;; tries++) {
      try {
        Deno.linkSync(temporary, address.path);
        onStep?.({ call: "link", address: at });
        break;
      } catch (cause) {
        const exists = cause instanceof Deno.errors.AlreadyExists;
        const shown = exists // Deno's message names both paths: shown as the C call fails
          ? Object.assign(new Deno.errors.AlreadyExists("File exists"), { code: "EEXIST" })
          : cause;
        onStep?.({ call: "link", address: at, error: shown });
        if (!exists) { // a file system without hard links to sockets: bind the path itself
          socket.close(); // Deno removes the temporary name
          return undefined;
        }
        const inUse = new Deno.errors.AddrInUse("Address already in use (os error 98)");
        if (tries > 0) throw new NetError("listen", "unix", address.display, inUse);
        await takeOver(address, "unix", inUse, onStep);
      }
    }
    const ino = Deno.lstatSync(address.path).ino ?? undefined;
    Deno.removeSync(temporary);
    onStep?.({ call: "unlink", type: "stream", address: { path: temporary } });
    return { socket, ino };
  } catch (err) {
    socket.close(); // Deno removes the temporary name
    throw err;
  }
}

/**
 * Removes a stale socket file at the path, or throws: the file is live, not a socket, or a
 * symbolic link (never followed, never removed).
 */
async function takeOver(
  address: UnixAddress,
  network: "unix" | "unixgram",
  cause: unknown,
  onStep?: OnStep,
): Promise<void> {
  const type = network === "unix" ? "stream" : "dgram";
  const file = await probe(address, onStep);
  if (file === "live") throw new NetError("listen", network, address.display, cause);
  if (file !== "stale") {
    const why = file === "symlink" ? "the file is a symbolic link" : "the file is not a socket";
    throw new NetError(
      "listen",
      network,
      address.display,
      new Deno.errors.AddrInUse(`Address already in use: ${why}`),
    );
  }
  try {
    Deno.removeSync(address.path);
    onStep?.({ call: "unlink", type, address: { path: address.path } });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw unixOpError("listen", network, address, "bind", error);
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
): Promise<"live" | "stale" | "not-a-socket" | "symlink"> {
  try {
    const file = Deno.lstatSync(address.path);
    if (file.isSymlink) return "symlink";
    if (!file.isSocket) return "not-a-socket";
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) return "stale"; // gone meanwhile
  }
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
    return cause instanceof Deno.errors.ConnectionRefused ? "stale" : "live";
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
 * @returns Whether it removed the file.
 */
export function removeOwnFile(
  address: UnixAddress,
  ino: number | undefined,
  onStep?: OnStep,
): boolean {
  if (!ownsFile(address, ino)) return false;
  try {
    Deno.removeSync(address.path);
    onStep?.({ call: "unlink", address: { path: address.path } });
    return true;
  } catch {
    return false; // gone meanwhile, or not ours to remove
  }
}

/**
 * Whether the file at the address's path is the one the bind made (its inode).
 *
 * @param address The bound address.
 * @param ino The inode the bind made.
 * @returns False for an abstract name, a file gone or another file.
 */
export function ownsFile(address: UnixAddress, ino: number | undefined): boolean {
  if (address.abstract || ino === undefined) return false;
  try {
    return Deno.lstatSync(address.path).ino === ino;
  } catch {
    return false;
  }
}
