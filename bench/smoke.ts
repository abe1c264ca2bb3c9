// `--smoke`: a benchmark in a small, fast mode (seconds) that CI runs (test/bench/smoke.test.ts), so a
// benchmark cannot break unseen. Its figures mean nothing. Children a benchmark starts inherit the
// mode through LETHE_BENCH_SMOKE=1.
if (process.argv.includes("--smoke")) process.env.LETHE_BENCH_SMOKE = "1";

export const smoke = process.env.LETHE_BENCH_SMOKE === "1";

/** `full` for a real run, `small` in smoke mode. */
export function sized<T>(full: T, small: T): T {
  return smoke ? small : full;
}
