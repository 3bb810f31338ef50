/**
 * The end of a stream server's run: clients still in flight get a bounded time to finish,
 * then are dropped.
 *
 * @module
 */
import type { Session } from "./_session.ts";

/**
 * Waits for every session in `live` to finish, for at most `drainTimeout` ms (or until `now`
 * aborts); then drops those still running (counted in `dropped` by the session) and waits for
 * them to have freed their slots.
 *
 * @param live The sessions in flight.
 * @param drainTimeout How long they may take, in ms.
 * @param now Ends the wait at once when it aborts (a second Ctrl-C).
 * @returns Once every session has ended.
 */
export async function drain(
  live: Set<Session>,
  drainTimeout: number,
  now?: AbortSignal,
): Promise<void> {
  if (live.size === 0) return;
  const finished = Promise.all([...live].map((c) => c.done));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let cut: (() => void) | undefined;
  const expired = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), now?.aborted ? 0 : drainTimeout);
    cut = () => resolve(true);
    now?.addEventListener("abort", cut, { once: true });
  });
  const timedOut = await Promise.race([finished.then(() => false), expired]);
  clearTimeout(timer);
  now?.removeEventListener("abort", cut!);
  if (!timedOut) return;
  for (const client of live) client.drop(new Deno.errors.Interrupted("server stopped"));
  await finished;
}
