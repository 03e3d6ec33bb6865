// Shared by the benchmarks: run an operation N times at a given concurrency; print rate and latency.

export interface Result {
  perSecond: number;
  p50: number;
  p99: number;
}

export async function measure(
  count: number,
  concurrency: number,
  op: (i: number) => Promise<void>,
): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        await op(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { perSecond: count / seconds, p50: at(0.5), p99: at(0.99) };
}

export function report(label: string, what: string, r: Result): void {
  process.stdout.write(
    `${label.padEnd(10)} ${what.padEnd(58)} ${r.perSecond.toFixed(0).padStart(6)}/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms\n`,
  );
}
