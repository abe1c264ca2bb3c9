// A subject only a noncurrent version holds, found through the index metastore, as an operator meets
// it on a local stack (issue 29; issue 27's null version): an object of the lake (Firehose-like GZIP
// Parquet with INT96 timestamps, in dt= partitions) whose older version holds the subject's rows and
// whose current version holds none; with or without a pre-versioning `null` version elsewhere (one
// that holds subjects of its own). The index is filled by `lethe index backfill --all-versions`
// (resuming a checkpoint left by a backfill stopped partway, as a user's `.lethe` holds one), or by
// the packaged indexer function fed the lake's S3 events, late and out of order; then `lethe erase
// --wait`. Every run must end the same: COMPLETED, no row of any subject in any version, every other
// row intact, the deleted versions' index entries gone.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { makeDocumentClient, makeS3Client } from "../../runtime/aws/clients";
import { envNames } from "../../runtime/contracts/env";
import type { LocalStack } from "../../runtime/contracts/stack";
import { backfillMapper } from "../../runtime/erasure/metastore/backfill";
import { indexHasherFromEnv } from "../../runtime/erasure/metastore/indexHasher";
import { HashSubject, lookupSubjects } from "../../runtime/erasure/metastore/indexStore";
import { erase } from "../../cli/work/erasureCommands";
import { invokeFunction } from "../../cli/work/invoke";
import { writeOutputsFile } from "../../local/stack";
import { sharedLocalStack } from "../support/localStack";
import { piped } from "../cli/terminal";
import {
  idsInFiles,
  putNullVersion,
  pyarrowCheck,
  pyarrowFiles,
  tempDir,
  versionFiles,
} from "./workflowFixtures";

/** What one run ended with; every run of a test must end with the same. */
interface RunOutcome {
  backfillExit?: number | null;
  state: unknown;
  /** Rows of the run's subjects in any version of its objects. */
  rowsLeft: number;
  /** Versions left per object: the old-only object, and the null-version object when there is one. */
  versionsLeft: number[];
  problems: string[];
  /** Index entries still naming the subjects (their versions were deleted). */
  entriesLeft: number;
}

describe("erasure: a subject only a noncurrent version holds, found through the index (emulator)", function () {
  this.timeout(1_800_000);
  const s3 = makeS3Client();
  const doc = makeDocumentClient();
  let stack: LocalStack;
  let dir: string;
  let outputs: string;
  let hashSubject: HashSubject;
  // One pyarrow-written set of files (seeded: every run's objects hold the same rows, as the issue's
  // identical fixtures): the old-only object's two versions, the null-version object's two, a filler.
  let files: { file: string }[];
  let ids: { oldOnly: string[]; nullOnly: string[] };
  let run = 0;

  before(async () => {
    stack = await sharedLocalStack();
    dir = tempDir();
    outputs = path.join(dir, "local.json");
    writeOutputsFile(outputs, stack);
    hashSubject = await indexHasherFromEnv({ [envNames.subjectHashKeyArn]: stack.subjectHashKeyArn });
    files = pyarrowFiles(dir, {
      days: ["2026-11-20"],
      perDay: 5,
      rows: 60,
      // Customers of their own (other lakes of the shared stack hold c000000..c019999).
      firstCustomer: 100_000,
      customers: 900_000,
      seed: 29,
      prefix: "old-only",
    });
    const held = idsInFiles(files.map((f) => f.file));
    const [older, current, nullOld, nullCurrent, filler] = files.map((f) => new Set(held[f.file]));
    const only = (mine: Set<string>, ...others: Set<string>[]) =>
      [...mine].filter((id) => others.every((o) => !o.has(id))).slice(0, 3);
    ids = {
      oldOnly: only(older, current, nullOld, nullCurrent, filler),
      nullOnly: only(nullOld, older, current, nullCurrent, filler),
    };
    expect(ids.oldOnly).to.have.length(3);
    expect(ids.nullOnly).to.have.length(3);
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  async function put(key: string, file: string): Promise<string | undefined> {
    const out = await s3.send(
      new PutObjectCommand({ Bucket: stack.lakeBucket, Key: key, Body: fs.readFileSync(file) }),
    );
    return out.VersionId;
  }

  interface Fixture {
    oldOnly: string;
    nullKey?: string;
    /** The S3 events of the fixture's writes, in the order they happened. */
    events: { key: string; versionId?: string }[];
  }

  /**
   * The old-only object (the subject's rows in its older version only) and, with `withNull`, an object
   * whose pre-versioning bytes hold other subjects' rows, overwritten once versioning was on.
   */
  async function writeFixture(tag: string, withNull: boolean): Promise<Fixture> {
    const [older, current, nullOld, nullCurrent] = files;
    const oldOnly = `events/dt=2026-11-20/${tag}-old-only-0001.parquet`;
    const events: Fixture["events"] = [];
    events.push({ key: oldOnly, versionId: await put(oldOnly, older.file) });
    events.push({ key: oldOnly, versionId: await put(oldOnly, current.file) });
    if (!withNull) return { oldOnly, events };
    const nullKey = `events/dt=2026-11-21/${tag}-null-0002.parquet`;
    await putNullVersion(s3, stack.lakeBucket, nullKey, fs.readFileSync(nullOld.file));
    await put(nullKey, nullCurrent.file);
    return { oldOnly, nullKey, events };
  }

  async function erased(fixture: Fixture, subjects: string[]): Promise<Omit<RunOutcome, "backfillExit">> {
    const result = await erase(
      { ids: subjects, reason: "issue 29", requestedBy: "a test", wait: true },
      { stackOutputsFile: outputs, drainSeconds: 0, progress: () => undefined },
    );
    const originals = new Map<string, string>([
      [fixture.oldOnly, files[1].file],
      ...(fixture.nullKey ? ([[fixture.nullKey, files[3].file]] as [string, string][]) : []),
    ]);
    const checked: { path: string; original: string }[] = [];
    const versionsLeft: number[] = [];
    for (const [key, original] of originals) {
      const versions = await versionFiles(s3, stack.lakeBucket, key, dir);
      versionsLeft.push(versions.length);
      for (const v of versions) checked.push({ path: v, original });
    }
    // Every version left is the current one: nothing of the subjects, every other row as written.
    const report = pyarrowCheck(subjects, checked);
    const entries = await lookupSubjects(
      doc,
      stack.indexTable,
      subjects.map((id) => [id]),
      hashSubject,
    );
    return {
      state: result.status?.state,
      rowsLeft: report.reduce((n, c) => n + c.matching, 0),
      versionsLeft,
      problems: report.flatMap((c) => c.problems),
      entriesLeft: entries.filter((e) => originals.has(e.key)).length,
    };
  }

  /** A backfill stopped (Ctrl-C) once it has indexed `stopAt`, its checkpoint where the CLI keeps it. */
  async function interruptedBackfill(stopAt: string): Promise<void> {
    const mapper = stack.dataMappers[0];
    const stop = new Error("interrupted");
    const outcome = await backfillMapper(
      { s3, doc, indexTable: stack.indexTable, mappers: stack.dataMappers, hashSubject },
      mapper,
      {
        allVersions: true,
        checkpointFile: path.join(dir, "checkpoints", `index-backfill-${mapper.name}-all.json`),
        onProgress: (p) => {
          if (p.lastKey === stopAt) throw stop;
        },
      },
    ).catch((e) => e);
    expect(outcome).to.equal(stop);
  }

  async function backfillRun(withNull: boolean): Promise<RunOutcome> {
    const tag = `nc${Date.now()}-${run++}`;
    // A backfill stopped partway, after an object whose key sorts after the fixture's.
    const filler = `events/dt=2026-11-29/${tag}-filler-0003.parquet`;
    await put(filler, files[4].file);
    fs.mkdirSync(path.join(dir, "checkpoints"), { recursive: true });
    await interruptedBackfill(filler);
    const fixture = await writeFixture(tag, withNull);
    const backfill = piped([
      "index",
      "backfill",
      "--all-versions",
      "--stack-outputs",
      outputs,
      "--checkpoint-dir",
      path.join(dir, "checkpoints"),
    ]);
    if (backfill.code !== 0)
      return {
        backfillExit: backfill.code,
        state: backfill.err.trim().split("\n").pop(),
        rowsLeft: -1,
        versionsLeft: [],
        problems: [],
        entriesLeft: -1,
      };
    if (withNull) {
      // The null version is indexed under the id S3 gives it.
      const entries = await lookupSubjects(
        doc,
        stack.indexTable,
        ids.nullOnly.map((id) => [id]),
        hashSubject,
      );
      expect(entries.filter((e) => e.key === fixture.nullKey).map((e) => e.versionId)).to.deep.equal(
        ids.nullOnly.map(() => "null"),
      );
    }
    const subjects = withNull ? [...ids.oldOnly, ...ids.nullOnly] : ids.oldOnly;
    return { backfillExit: backfill.code, ...(await erased(fixture, subjects)) };
  }

  const expected = (withNull: boolean): RunOutcome => ({
    backfillExit: 0,
    state: "COMPLETED",
    rowsLeft: 0,
    versionsLeft: withNull ? [1, 1] : [1],
    problems: [],
    entriesLeft: 0,
  });

  for (const withNull of [false, true]) {
    it(`after a resumed backfill --all-versions, ${withNull ? "with" : "without"} a null version elsewhere: the older version is erased, the same way three runs out of three`, async () => {
      const outcomes: RunOutcome[] = [];
      for (let i = 0; i < 3; i++) outcomes.push(await backfillRun(withNull));
      expect(outcomes).to.deep.equal([0, 1, 2].map(() => expected(withNull)));
    });
  }

  it("with the index filled by the indexer function from the lake's S3 events, late and out of order: the older version is erased, three runs out of three", async () => {
    const outcomes: RunOutcome[] = [];
    for (let i = 0; i < 3; i++) {
      const fixture = await writeFixture(`nc-events${Date.now()}-${run++}`, false);
      // S3's notifications, delivered after both writes, the newer first.
      const records = [...fixture.events].reverse().map((e) => ({
        eventName: "ObjectCreated:Put",
        s3: {
          bucket: { name: stack.lakeBucket },
          object: { key: encodeURIComponent(e.key).replace(/%2F/g, "/"), versionId: e.versionId },
        },
      }));
      const eventFile = path.join(dir, `events-${i}.json`);
      fs.writeFileSync(eventFile, JSON.stringify({ Records: records }));
      const invoked = await invokeFunction("indexer", eventFile, {
        stackOutputsFile: outputs,
        logs: () => undefined,
      });
      expect(invoked.failed, JSON.stringify(invoked.reply)).to.equal(false);
      outcomes.push({ backfillExit: 0, ...(await erased(fixture, ids.oldOnly)) });
    }
    expect(outcomes).to.deep.equal([0, 1, 2].map(() => expected(false)));
  });
});
