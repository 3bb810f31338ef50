// One load-generator thread: `concurrency` loops, each connecting, reading to EOF and
// closing, until the deadline. Posts the count, errors and every latency (µs).
/// <reference lib="deno.worker" />
interface Job {
  hostname: string;
  port: number;
  concurrency: number;
  durationMs: number;
  expect: number;
}
self.onmessage = async (e: MessageEvent<Job>) => {
  const { hostname, port, concurrency, durationMs, expect } = e.data;
  const deadline = performance.now() + durationMs;
  const latencies: number[] = [];
  let count = 0, errors = 0, wrong = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    const buf = new Uint8Array(64);
    while (performance.now() < deadline) {
      const t0 = performance.now();
      let conn: Deno.TcpConn | undefined;
      // No connection may hang the run: give up on one after 5 s.
      const timer = setTimeout(() => conn?.close(), 5000);
      try {
        conn = await Deno.connect({ hostname, port });
        let n: number | null, got = 0;
        while ((n = await conn.read(buf)) !== null) got += n;
        clearTimeout(timer);
        conn.close();
        if (got !== expect) wrong++;
        count++;
        latencies.push((performance.now() - t0) * 1000);
      } catch {
        clearTimeout(timer);
        errors++;
      }
    }
  }));
  self.postMessage({ count, errors, wrong, latencies });
  self.close();
};
