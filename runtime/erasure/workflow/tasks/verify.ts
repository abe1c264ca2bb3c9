// The verify task (../shared/WORKFLOW.md "verify"): after the drain wait,
//  1. re-find over every object written since the batch's find began, whatever its partition (the
//     finder's `since`; objects a round planned are read below in every version instead), so records
//     that landed during the erasure are seen, late ones in old partitions too;
//  2. read every version of every object any round's plan named, and of every object re-find found,
//     counting the rows that still match a subject (the purge engine's own Parquet/JSON reading);
//  3. zero everywhere -> `{hits: 0}`; otherwise the objects still holding rows become the next round's
//     plan (written to S3) and `{hits, retry: round < maxRounds, nextRound, plan}` sends them back to
//     forget, or, past the last round, the batch needs attention.
// `steps.verify` records what was checked: objects, versions, remaining rows, rounds.
import { UsageError } from "../../../contracts/errors";
import { DataMapper, deletesObjects } from "../../../contracts/mappers";
import { moveBatch, recordStep } from "../../batches";
import { headObject, listKeyVersions, versionGone } from "../../../purge/s3Objects";
import { readManifest } from "../../manifest";
import { BatchPlan, mappersForKeys, PlannedObject, planBatch, readPlan } from "../../plan";
import { keyMatcher } from "../../../subjects/matcher";
import { scanObjectVersion } from "../../../purge/objectPurge";
import { BatchRoundInput, parseBatchRound, requireBatch } from "./batchInput";
import { clock, FindingDeps, PlanLocation, writeRoundPlan } from "./planLocation";

export interface VerifyDeps extends FindingDeps {
  /** Objects read at once (default 4). */
  concurrency?: number;
}

export interface VerifyInput extends BatchRoundInput {
  maxRounds: number;
}

export interface VerifyCounts {
  objectsChecked: number;
  versionsChecked: number;
  remainingRows: number;
  /** Objects re-find found that no earlier round had planned (late arrivals). */
  newObjects: number;
  bytesScanned: number;
  rounds: number;
}

export type VerifyReply = VerifyCounts & {
  batchId: string;
  round: number;
  /** Objects still holding a subject's row in some version. */
  hits: number;
  /** Of `hits`, how many each data mapper holds (only mappers with some), so an operator knows where to look. */
  hitsByMapper?: Record<string, number>;
  retry: boolean;
  nextRound?: number;
  plan?: PlanLocation;
  message: string;
};

export function parseVerifyInput(event: unknown): VerifyInput {
  const base = parseBatchRound(event, "verify");
  const maxRounds = (event as { maxRounds?: unknown }).maxRounds;
  if (!Number.isInteger(maxRounds) || (maxRounds as number) < 1) {
    throw new UsageError(
      `verify: maxRounds must be a whole number above 0, got ${JSON.stringify(maxRounds)}`,
    );
  }
  return { ...base, maxRounds: maxRounds as number };
}

async function inParallel<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

interface Candidate {
  mapper: DataMapper;
  bucket: string;
  key: string;
  planned: boolean;
}

export async function verifyBatch(deps: VerifyDeps, input: VerifyInput): Promise<VerifyReply> {
  const now = clock(deps);
  const batch = await requireBatch(deps, input.batchId);
  const startedAt = now().toISOString();
  await moveBatch(deps, input.batchId, "VERIFYING");
  const since = new Date(batch.steps?.find?.startedAt ?? batch.createdAt);
  const subjects = await readManifest(deps.s3, batch.manifest);

  // What each round planned, and what landed since find began.
  const plans: BatchPlan[] = [];
  for (const r of Object.values(batch.forgetRounds ?? {})) plans.push(await readPlan(deps.s3, r.plan));
  const checked = new Set(
    plans.flatMap((p) => p.mappers.flatMap((m) => m.objects.map((o) => `s3://${o.bucket}/${o.key}`))),
  );
  const refound = await planBatch(deps, deps.mappers, batch.manifest, { since, checked }, now());
  const candidates = new Map<string, Candidate>();
  const add = (mapperName: string, o: PlannedObject, planned: boolean) => {
    const mapper = deps.mappers.find((m) => m.name === mapperName);
    if (!mapper)
      throw new Error(`verify: the plan names data mapper "${mapperName}", which the stack no longer has`);
    const id = `${mapper.name}\u0000${o.bucket}/${o.key}`;
    const seen = candidates.get(id);
    if (seen) seen.planned ||= planned;
    else candidates.set(id, { mapper, bucket: o.bucket, key: o.key, planned });
  };
  for (const p of plans) for (const m of p.mappers) for (const o of m.objects) add(m.mapper, o, true);
  for (const m of refound.mappers) for (const o of m.objects) add(m.mapper, o, false);

  const matchers = new Map(
    mappersForKeys(deps.mappers, subjects).map((m) => [m.name, keyMatcher(m.idColumns, subjects)]),
  );
  const counts: VerifyCounts = {
    objectsChecked: 0,
    versionsChecked: 0,
    remainingRows: 0,
    newObjects: [...candidates.values()].filter((c) => !c.planned).length,
    bytesScanned: refound.mappers.reduce((n, m) => n + m.bytesScanned, 0),
    rounds: input.round + 1,
  };
  const hits = new Map<string, PlannedObject[]>();
  await inParallel([...candidates.values()], deps.concurrency ?? 4, async (c) => {
    const list = await listKeyVersions(deps.s3, c.bucket, c.key);
    const holding: string[] = [];
    let rows = 0;
    // A delete-object mapper's object (planned, or listed again through its template) is a subject's
    // own: any version or delete marker of it left is a hit, and nothing is read.
    if (deletesObjects(c.mapper)) {
      holding.push(...list.all.map((v) => v.versionId));
      counts.versionsChecked += list.all.length;
    } else
      for (const v of list.all) {
        if (v.deleteMarker) continue;
        let found: Awaited<ReturnType<typeof scanObjectVersion>>;
        try {
          found = await scanObjectVersion(
            deps.s3,
            await headObject(deps.s3, c.bucket, c.key, v.versionId),
            c.mapper,
            matchers.get(c.mapper.name)!,
          );
        } catch (err) {
          // Deleted since the listing (another batch purging the same object): nothing left to check.
          if (versionGone(err)) continue;
          throw err;
        }
        counts.versionsChecked++;
        let n = 0;
        for (const k of found.matches.values()) n += k;
        if (n > 0) holding.push(v.versionId);
        rows += n;
      }
    counts.objectsChecked++;
    counts.remainingRows += rows;
    if (holding.length > 0) {
      const objects = hits.get(c.mapper.name) ?? [];
      objects.push({
        bucket: c.bucket,
        key: c.key,
        current: list.latest !== undefined && holding.includes(list.latest.versionId),
        versionIds: holding.sort(),
        expectedRows: rows,
      });
      hits.set(c.mapper.name, objects);
    }
  });

  const hitCount = [...hits.values()].reduce((n, o) => n + o.length, 0);
  await recordStep(deps, input.batchId, "verify", {
    startedAt: batch.steps?.verify?.startedAt ?? startedAt,
    endedAt: now().toISOString(),
    counts: { ...counts, hits: hitCount },
  });
  const base = { batchId: input.batchId, round: input.round, ...counts };
  if (hitCount === 0) {
    return {
      ...base,
      hits: 0,
      retry: false,
      message:
        `batch ${input.batchId}: verified after ${counts.rounds} round(s): ${counts.objectsChecked} object(s), ` +
        `${counts.versionsChecked} version(s) checked, no subject row left`,
    };
  }
  const nextRound = input.round + 1;
  const next: BatchPlan = {
    batchId: input.batchId,
    manifest: batch.manifest,
    createdAt: now().toISOString(),
    mappers: deps.mappers
      .filter((m) => hits.has(m.name))
      .map((m) => ({
        mapper: m.name,
        objects: hits.get(m.name)!.sort((a, b) => a.key.localeCompare(b.key)),
        bytesScanned: refound.mappers.find((r) => r.mapper === m.name)?.bytesScanned ?? 0,
      })),
  };
  const retry = input.round < input.maxRounds;
  const hitsByMapper = Object.fromEntries(next.mappers.map((m) => [m.mapper, m.objects.length]));
  const where = next.mappers.map((m) => `${m.mapper}: ${m.objects.length}`).join(", ");
  return {
    ...base,
    hits: hitCount,
    hitsByMapper,
    retry,
    nextRound,
    plan: await writeRoundPlan(deps.s3, deps.planTarget, next, nextRound),
    message:
      `batch ${input.batchId}: ${hitCount} object(s) still hold ${counts.remainingRows} subject row(s) after round ` +
      `${input.round} (data mapper ${where})` +
      (retry ? `; round ${nextRound} purges them` : `; no rounds left (${input.maxRounds})`),
  };
}
