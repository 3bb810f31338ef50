/**
 * A Unix datagram send that cannot hang: Deno 2.9's send to a receiver whose queue is full
 * (a peer that never reads) neither finishes nor fails, spins a core, and cannot be
 * cancelled, not even by closing the socket; and while it lasts the socket can neither
 * send nor receive anything else ("Socket already in use"). So a send is given up after
 * {@linkcode UNIX_SEND_STALL_MS}; the runtime's operation goes on until the receiver reads
 * or goes away, and the caller is told, so that it can move to a fresh socket.
 *
 * @module
 */
import { startTimer } from "./_timer.ts";

/** How long a Unix datagram send may wait for room in the receiver's queue, in ms. */
export const UNIX_SEND_STALL_MS = 500;

/**
 * Sends one datagram, or rejects with `Deno.errors.WouldBlock` once it has waited
 * {@linkcode UNIX_SEND_STALL_MS}; `onStall` then gets the operation, still running.
 *
 * @param conn The socket.
 * @param bytes The payload.
 * @param to The destination.
 * @param onStall Told of a stalled send, with its operation (settles when the receiver
 * reads or goes away).
 * @returns The number of bytes sent.
 * @throws {Deno.errors.WouldBlock} When the receiver's queue stayed full (a send error,
 * not a timeout: the peer is there, it does not read).
 * @example A receiver that reads nothing: its queue fills, and the next send gives up
 * ```ts
 * import { sendUnix } from "./_unix_send.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const sink = Deno.listenDatagram({ transport: "unixpacket", path: `${dir}/sink` });
 * let sender = Deno.listenDatagram({ transport: "unixpacket" });
 * let stalled: Promise<unknown> | undefined;
 * for (let i = 0; i < 1000 && stalled === undefined; i++) {
 *   await sendUnix(sender, new Uint8Array(1), sink.addr, (op) => stalled = op).catch((e) => {
 *     assertEquals(e instanceof Deno.errors.WouldBlock, true);
 *   });
 * }
 * assertEquals(stalled !== undefined, true);
 * sender.close();
 * while (await Promise.race([stalled!.then(() => true, () => true), sink.receive().then(() => false)]) === false);
 * sink.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function sendUnix(
  conn: Pick<Deno.DatagramConn, "send">,
  bytes: Uint8Array,
  to: Deno.Addr,
  onStall?: (op: Promise<number>) => void,
): Promise<number> {
  const op = conn.send(bytes, to);
  let cancel = () => {};
  const late = new Promise<"late">((resolve) => {
    cancel = startTimer(UNIX_SEND_STALL_MS, () => resolve("late"));
  });
  try {
    const first = await Promise.race([op, late]);
    if (first !== "late") return first;
  } finally {
    cancel();
  }
  op.catch(() => {});
  onStall?.(op);
  throw new Deno.errors.WouldBlock(
    `the receiver's queue stayed full for ${UNIX_SEND_STALL_MS}ms: it is not reading`,
  );
}
