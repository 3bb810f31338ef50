// The rows a benchmark run produces, shared by the run (bench.ts) and its chart (chart.ts).

/** One stream server's figures. */
export interface StreamRow {
  name: string;
  connsPerSec: number;
  p50us: number;
  p99us: number;
  lat1p50us: number;
  lat1p99us: number;
  cpuUsPerConn: number;
  peakKiB: number;
  errors: number;
  wrong: number;
  generatorCpuPct: number;
}

/** One datagram receiver's figures at one offered rate. */
export interface DgramRow {
  name: string;
  offered: number;
  sent: number;
  received: number;
  receivedPerSec: number;
  lossPct: number;
  kernelDrops: number | null;
}
