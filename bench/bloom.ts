// Bloom filter benchmark: our filter at 1 M opted-out IDs and FPR 1e-4 against the goals,
// and `bloom-filters@3` (the design card's choice) on 100 k IDs in the same run, for the ratio.
// Run: npm run bench:bloom   (single thread, node --expose-gc; BLOOM_BENCH_NONMEMBERS=10000000 by default)
import { randomBytes, randomUUID } from "node:crypto";
import * as os from "node:os";
import { BloomFilter as TheirBloomFilter } from "bloom-filters";
import { BloomFilter } from "../runtime/ingest/bloomFilter";
import { idSetDigest } from "../runtime/ingest/filterBuilder";
import { subjectHasherFromKey } from "../runtime/subjects/subjectHash";
import { sized } from "./smoke";

const members = Number(process.env.BLOOM_BENCH_MEMBERS ?? sized(1_000_000, 2_000));
const nonMembers = Number(process.env.BLOOM_BENCH_NONMEMBERS ?? sized(10_000_000, 20_000));
const referenceItems = Number(process.env.BLOOM_BENCH_REFERENCE_ITEMS ?? sized(100_000, 1_000));
const fpr = 1e-4;

/** CPU seconds of this thread's work (user + system): other processes on a shared machine do not
 * inflate it the way they inflate wall time. Wall time is kept alongside, for the record. */
const wall = { s: 0 };
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
function seconds<T>(fn: () => T): [T, number] {
  // Collect first, so the timed section does not pay for garbage made before it.
  gc();
  const c = process.cpuUsage();
  const t = process.hrtime.bigint();
  const r = fn();
  const cpu = process.cpuUsage(c);
  wall.s += Number(process.hrtime.bigint() - t) / 1e9;
  return [r, (cpu.user + cpu.system) / 1e6];
}
const rate = (n: number, s: number) => `${(n / s / 1e6).toFixed(2)} M/s`;
const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");

console.log(
  `bloom bench: node ${process.version}, ${os.cpus()[0]?.model ?? "cpu"}, one thread; rates per CPU-second ` +
    `(load average at start ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)`,
);
/** Random UUIDs as flat strings, the way IDs arrive from JSON.parse or the DynamoDB client.
 * (`randomUUID()` returns a V8 cons-string that the first read must flatten: timing lookups on
 * those measures string flattening, not the filter.) */
const uuids = (n: number): string[] =>
  JSON.parse(JSON.stringify(Array.from({ length: n }, () => randomUUID())));
const ids = uuids(members);
// Warm up the JIT on a small filter, so the timings are of optimized code.
const warm = BloomFilter.from(ids.slice(0, 50_000), fpr);
for (let i = 0; i < 200_000; i++) warm.has(ids[i % ids.length]);

// Ours.
const [filter, buildS] = seconds(() => BloomFilter.from(ids, fpr));
const [bytes, serializeS] = seconds(() => filter.serialize());
const [, loadS] = seconds(() => BloomFilter.deserialize(bytes));
const [falseNegatives, memberS] = seconds(() => ids.filter((id) => !filter.has(id)).length);
// Non-members: random UUIDs too, in slices so we never hold 10 M strings.
let falsePositives = 0;
let lookupS = 0;
for (let done = 0; done < nonMembers; done += 1_000_000) {
  const slice = uuids(Math.min(1_000_000, nonMembers - done));
  const [fp, s] = seconds(() => {
    let n = 0;
    for (const id of slice) if (filter.has(id)) n++;
    return n;
  });
  falsePositives += fp;
  lookupS += s;
}
const measuredFpr = falsePositives / nonMembers;
const mbPerMillion = bytes.length / 1e6 / (members / 1e6);

console.log(`\nours (Uint32Array bitset, 2 x murmur3, double hashing), ${members} IDs, target FPR ${fpr}`);
console.log(
  `  bits ${filter.bitCount}, hashes ${filter.hashCount}, file ${bytes.length} bytes (${mbPerMillion.toFixed(3)} MB per million IDs)`,
);
console.log(
  `  build:              ${rate(members, buildS)} IDs   (goal >= 1 M/s)        ${verdict(members / buildS >= 1e6)}`,
);
console.log(`  lookups, members:   ${rate(members, memberS)}`);
console.log(
  `  lookups, non-members: ${rate(nonMembers, lookupS)}   (goal >= 2 M/s)        ${verdict(nonMembers / lookupS >= 2e6)}`,
);
console.log(
  `  size:               ${mbPerMillion.toFixed(3)} MB / M IDs  (goal <= 2.5)     ${verdict(mbPerMillion <= 2.5)}`,
);
console.log(
  `  measured FPR:       ${measuredFpr.toExponential(2)} on ${nonMembers} random non-members (goal <= 1.2e-4) ${verdict(measuredFpr <= 1.2e-4)}`,
);
console.log(
  `  false negatives:    ${falseNegatives} of ${members}   (goal 0)   ${verdict(falseNegatives === 0)}`,
);
console.log(`  serialize ${(serializeS * 1000).toFixed(1)} ms, load+verify ${(loadS * 1000).toFixed(1)} ms`);
// A throwaway key: the cost of the keyed digest does not depend on which key it is.
const hasher = subjectHasherFromKey(randomBytes(32));
const [, digestS] = seconds(() => idSetDigest(hasher, ids, fpr));
console.log(
  `  builder's change check (sort + keyed HMAC-SHA-256 of the ID set): ${(digestS * 1000).toFixed(0)} ms`,
);

// Reference: bloom-filters@3, the library the design card names, on fewer items (it is slow).
const refIds = ids.slice(0, referenceItems);
const [theirs, theirBuildS] = seconds(() => {
  const f = TheirBloomFilter.create(referenceItems, fpr);
  for (const id of refIds) f.add(id);
  return f;
});
const refProbe = uuids(referenceItems);
const [theirFp, theirLookupS] = seconds(() => refProbe.filter((id) => theirs.has(id)).length);
const [, ourSmallBuildS] = seconds(() => BloomFilter.from(refIds, fpr));
const [, ourSmallLookupS] = seconds(() => refProbe.filter((id) => filter.has(id)).length);
console.log(`\nreference: bloom-filters@3 BloomFilter, ${referenceItems} IDs, FPR ${fpr}`);
console.log(
  `  build:   ${rate(referenceItems, theirBuildS)} IDs   (ours on the same IDs ${rate(referenceItems, ourSmallBuildS)}: ${(theirBuildS / ourSmallBuildS).toFixed(0)}x faster)`,
);
console.log(
  `  lookups: ${rate(referenceItems, theirLookupS)}       (ours ${rate(referenceItems, ourSmallLookupS)}: ${(theirLookupS / ourSmallLookupS).toFixed(0)}x faster)`,
);
console.log(`  false positives: ${theirFp} of ${referenceItems}`);
console.log(
  `  at its lookup rate, 1 M ingest records/s would need ${(1e6 / (referenceItems / theirLookupS)).toFixed(1)} cores for the filter alone`,
);
console.log(`\n(wall time of the timed sections: ${wall.s.toFixed(1)} s)`);
