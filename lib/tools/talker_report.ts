/**
 * The talker's ping lines: each round trip, the summary, and a reply's sender as printed.
 *
 * @module
 */
import type { Output } from "../cli/output.ts";
import { jsonAddress, jsonBytes } from "../cli/json.ts";
import type { Reporter } from "../cli/reporter.ts";
import type { ConnectedDatagram } from "../net/connected_datagram.ts";
import { formatDuration } from "../net/errors.ts";
import type { PingResult, PingStats } from "../net/udp_ping.ts";
import { showUnixPath } from "../net/unix_address.ts";

/**
 * One ping result: the round trip as ping prints it, or the request that had no reply.
 *
 * @param result The result.
 * @param sock The socket (its peer).
 * @param options The reply timeout and whether replies are written raw.
 * @param out Where raw bytes go.
 * @param r The reporter.
 */
export function pingLine(
  result: PingResult,
  sock: ConnectedDatagram,
  options: { replyTimeout?: number | undefined; raw?: boolean | undefined },
  out: Output,
  r: Reporter,
) {
  if (result.reply === undefined) {
    const waited = formatDuration(options.replyTimeout ?? 0);
    const line = `no reply for seq=${result.seq} within ${waited}`;
    // A line of the ping on stdout, as ping prints it; in JSON an error event.
    r.event("error", { message: line, errno: "ETIMEDOUT", seq: result.seq }, line);
    return;
  }
  if (r.json) {
    const from = jsonAddress(sock.peer);
    const rtt = Number(ms(result.rtt ?? 0));
    return r.event("reply", { from, ...jsonBytes(result.reply), seq: result.seq, rtt_ms: rtt });
  }
  r.say(
    `${result.reply.length} bytes from ${replyFrom(sock.peer)}: seq=${result.seq} time=${
      ms(result.rtt ?? 0)
    } ms`,
  );
  if (options.raw) out.data(result.reply);
}

/**
 * The ping's summary for the JSON view.
 *
 * @param stats The counts.
 * @param sock The socket (its ignored count).
 * @returns The fields.
 */
export function pingFields(stats: PingStats, sock: ConnectedDatagram): object {
  const rtts = stats.rtts;
  const avg = rtts.length ? rtts.reduce((a, b) => a + b, 0) / rtts.length : undefined;
  return {
    sent: stats.sent,
    replies: stats.replies,
    lost_pct: stats.sent === 0 ? 0 : Math.round((stats.sent - stats.replies) / stats.sent * 100),
    ...(rtts.length
      ? {
        rtt_min_ms: Number(ms(Math.min(...rtts))),
        rtt_avg_ms: Number(ms(avg!)),
        rtt_max_ms: Number(ms(Math.max(...rtts))),
      }
      : {}),
    late: stats.late,
    unmatched: stats.unmatched,
    ignored: sock.ignored,
  };
}

/**
 * `5 sent, 5 replies, 0% lost, rtt min/avg/max = 0.081/0.105/0.160 ms`, and what was odd.
 *
 * @param stats The counts.
 * @param sock The socket (its ignored count).
 * @returns The line.
 */
export function pingSummary(stats: PingStats, sock: ConnectedDatagram): string {
  const lost = stats.sent === 0 ? 0 : Math.round((stats.sent - stats.replies) / stats.sent * 100);
  let line = `${stats.sent} sent, ${stats.replies} ${
    stats.replies === 1 ? "reply" : "replies"
  }, ${lost}% lost`;
  if (stats.rtts.length > 0) {
    const min = Math.min(...stats.rtts);
    const max = Math.max(...stats.rtts);
    const avg = stats.rtts.reduce((a, b) => a + b, 0) / stats.rtts.length;
    line += `, rtt min/avg/max = ${ms(min)}/${ms(avg)}/${ms(max)} ms`;
  }
  if (stats.late > 0) line += `, ${stats.late} late`;
  if (stats.unmatched > 0) line += `, ${stats.unmatched} unmatched`;
  if (sock.ignored > 0) {
    line += `, ignored ${sock.ignored} ${
      sock.ignored === 1 ? "datagram" : "datagrams"
    } from other addresses`;
  }
  return line;
}

function ms(n: number): string {
  return n.toFixed(3);
}

/**
 * A reply's sender as the original prints it: the address, or the Unix path.
 *
 * @param peer The socket's peer.
 * @returns The text.
 */
export function replyFrom(peer: Deno.NetAddr | Deno.UnixAddr): string {
  return "path" in peer ? showUnixPath(peer.path) : peer.hostname;
}
