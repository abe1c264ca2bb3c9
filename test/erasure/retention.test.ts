// Retention erasure end to end on the emulator: a versioned SSE-KMS lake of pyarrow-written Parquet in
// dt= partitions (one partition entirely older than the cutoff, one straddling it, one newer), planned
// by `lethe retention plan` (nothing changes), then run through the forget path: the old partition's
// objects lose every version unread, the straddling object is rewritten without its older rows (kept
// rows compared value by value by pyarrow) and each older version holding an older row is deleted,
// history without one stays; the ledger, the verify pass and the signed report say what went.
import { expect } from "chai";
import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { CreateKeyCommand } from "@aws-sdk/client-kms";
import { GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { makeDocumentClient, makeKmsClient } from "../../runtime/aws/clients";
import type { DataMapper } from "../../runtime/contracts/mappers";
import { reportSignatureValid } from "../../runtime/contracts/reportSignature";
import { ForgetLedger } from "../../runtime/erasure/forget";
import { loadReportSigner } from "../../runtime/erasure/report/reportSigner";
import {
  readRetentionReport,
  RetentionPlan,
  runRetention,
  writeRetentionReport,
} from "../../runtime/erasure/retention";
import { createTableLike } from "../../local/stack/copies";
import { envNames } from "../../runtime/contracts/env";
import { createRetentionHandler } from "../../runtime/handlers/retention";
import { retentionScheduledEvent } from "../../cli/work/retention";
import { createTestLake, lakeMutex, TestLake } from "./forgetFixtures";

const root = path.resolve(__dirname, "../..");
const python = path.join(root, ".venv", "bin", "python");
const script = path.join(__dirname, "retention_lake.py");
const bin = path.join(root, "bin", "lethe");

type Row = [string, string, number];

/** pyarrow writes each object (GZIP Parquet, event_time a UTC timestamp[us]). */
function writeParquet(dir: string, objects: { file: string; rows: Row[] }[]): void {
  const spec = path.join(dir, `spec-${randomUUID()}.json`);
  fs.writeFileSync(spec, JSON.stringify(objects));
  execFileSync(python, [script, "make", dir, spec]);
}

/** pyarrow reads each file back: rows as [customer_id, event_time (µs ISO), amount]. */
function readParquet(dir: string, files: string[]): Record<string, Row[]> {
  const list = path.join(dir, `files-${randomUUID()}.json`);
  fs.writeFileSync(list, JSON.stringify(files));
  return JSON.parse(execFileSync(python, [script, "read", list]).toString());
}

const micro = (iso: string) => iso.replace(/(\.\d+)?Z$/, (_m, f?: string) => `${(f ?? ".").padEnd(7, "0")}Z`);

describe("retention erasure: plan and run on the emulator (pyarrow Parquet in dt= partitions)", function () {
  this.timeout(120_000);
  const now = new Date("2026-12-07T12:00:00Z"); // 30 days: rows before 2026-11-07T12:00:00Z go
  let lake: TestLake;
  let mapper: DataMapper;
  let ledger: ForgetLedger;
  let ledgerTable: string;
  const keys = {
    old: "events/dt=2026-10-01/part-0.parquet",
    old2: "events/dt=2026-10-01/part-1.parquet",
    straddling: "events/dt=2026-11-07/part-0.parquet",
    fresh: "events/dt=2026-11-07/part-1.parquet",
    // In the straddling partition, every row older by event_time: dropped with every version, not rewritten.
    allOlder: "events/dt=2026-11-07/part-2.parquet",
    newer: "events/dt=2026-12-01/part-0.parquet",
  };
  // The straddling object's history: v0 holds no older row (kept), v1 holds one (deleted), v2 is current.
  const v0: Row[] = [["c-1", "2026-11-07T13:00:00Z", 1]];
  const v1: Row[] = [...v0, ["c-2", "2026-11-07T03:00:00Z", 2]];
  const v2: Row[] = [
    ["c-1", "2026-11-07T13:00:00Z", 1],
    ["c-2", "2026-11-07T03:00:00Z", 2],
    ["c-3", "2026-11-07T11:59:59.999Z", 3],
    ["c-4", "2026-11-07T12:00:00Z", 4],
    ["c-5", "2026-11-07T23:30:00.250Z", 5],
  ];
  const versionIds: Record<string, string[]> = {};

  async function put(key: string, rows: Row[]): Promise<void> {
    const file = `${randomUUID()}.parquet`;
    writeParquet(lake.dir, [{ file, rows }]);
    const out = await lake.s3.send(
      new PutObjectCommand({
        Bucket: lake.bucket,
        Key: key,
        Body: fs.readFileSync(path.join(lake.dir, file)),
      }),
    );
    (versionIds[key] ??= []).push(out.VersionId!);
  }

  async function versionsOf(key: string): Promise<string[]> {
    const list = await lake.s3.send(new ListObjectVersionsCommand({ Bucket: lake.bucket, Prefix: key }));
    return [...(list.Versions ?? []), ...(list.DeleteMarkers ?? [])]
      .filter((v) => v.Key === key)
      .map((v) => v.VersionId!)
      .sort();
  }

  async function rowsOf(key: string, versionId?: string): Promise<Row[]> {
    const o = await lake.s3.send(
      new GetObjectCommand({ Bucket: lake.bucket, Key: key, VersionId: versionId }),
    );
    const file = path.join(lake.dir, `read-${randomUUID()}.parquet`);
    fs.writeFileSync(file, await o.Body!.transformToByteArray());
    return readParquet(lake.dir, [file])[file];
  }

  function planCli(extra: string[] = [], command = "plan") {
    const outputs = path.join(lake.dir, "outputs.json");
    fs.writeFileSync(
      outputs,
      JSON.stringify({
        local: true,
        endpoint: process.env.AWS_ENDPOINT_URL,
        region: process.env.AWS_REGION,
        dataMappers: [mapper, { ...mapper, name: "no-rule", retention: undefined }],
      }),
    );
    return spawnSync(
      process.execPath,
      [bin, "retention", command, "--stack-outputs", outputs, "--now", now.toISOString(), ...extra],
      { encoding: "utf8" },
    );
  }

  before(async () => {
    lake = await createTestLake(4);
    mapper = { ...lake.mapper, retention: { days: 30, timeColumn: "event_time" } };
    ledgerTable = await createTableLike("ledger", `lethe-ledger-${randomUUID().slice(0, 8)}`);
    ledger = new ForgetLedger(makeDocumentClient(), ledgerTable, 30);
    await put(keys.old, [["c-1", "2026-10-01T08:00:00Z", 10]]);
    await put(keys.old, [["c-1", "2026-10-01T09:00:00Z", 11]]);
    // Late data in an old partition: still dropped whole (the partition says when it is from).
    await put(keys.old2, [["c-2", "2026-11-20T09:00:00Z", 12]]);
    await put(keys.straddling, v0);
    await put(keys.straddling, v1);
    await put(keys.straddling, v2);
    await put(keys.fresh, [["c-9", "2026-11-07T18:00:00Z", 9]]);
    await put(keys.allOlder, [["c-6", "2026-11-07T13:00:00Z", 6]]); // history holding a newer row: goes too
    await put(keys.allOlder, [
      ["c-6", "2026-11-07T01:00:00Z", 6],
      ["c-7", "2026-11-07T11:00:00Z", 7],
    ]);
    await put(keys.newer, [["c-8", "2026-12-01T00:00:00Z", 8]]);
  });
  after(() => fs.rmSync(lake.dir, { recursive: true, force: true }));

  it("lethe retention plan shows what would go and its cost, and changes nothing", async () => {
    const before = await Promise.all(Object.values(keys).map(versionsOf));
    const json = planCli(["--mapper", "events", "--json"]);
    expect(json.status, json.stderr).to.equal(0);
    const [plan] = JSON.parse(json.stdout) as RetentionPlan[];
    expect(plan.cutoff).to.equal("2026-11-07T12:00:00.000Z");
    expect(plan.partitionsDropped).to.deep.equal(["2026-10-01"]);
    expect(plan.objects.map((o) => [o.key, o.action, o.versions, o.rows, o.rowsExpired])).to.deep.equal([
      [keys.old, "drop", 2, undefined, undefined],
      [keys.old2, "drop", 1, undefined, undefined],
      [keys.straddling, "purge", 3, 5, 2],
      [keys.allOlder, "drop", 2, 2, 2],
    ]);
    expect(plan.objects[3].scannedVersionId).to.equal(versionIds[keys.allOlder][1]);
    expect(plan.objectsKept).to.equal(2);
    expect(plan.rowsEstimate).to.equal(4);
    const sizes = await Promise.all(
      [keys.old, keys.old2, keys.straddling, keys.allOlder].map(async (k) => {
        const o = await lake.s3.send(new GetObjectCommand({ Bucket: lake.bucket, Key: k }));
        return o.ContentLength!;
      }),
    );
    expect(plan.bytes).to.equal(sizes.reduce((a, b) => a + b, 0));
    expect(plan.cost.deleteRequests).to.equal(8);
    expect(plan.cost.putRequests).to.equal(1);
    expect(plan.cost.requestsUsd).to.be.greaterThan(0);

    const text = planCli();
    expect(text.status, text.stderr).to.equal(0);
    expect(text.stdout).to.include("nothing is changed");
    expect(text.stdout).to.include("partitions dropped whole (not read): 2026-10-01");
    expect(text.stdout).to.include(`rewrite  ${keys.straddling}: 2 of 5 row(s) older`);
    expect(text.stdout).to.include(`drop     ${keys.allOlder}: every version (2), all 2 row(s) older`);
    expect(text.stdout).to.match(/cost: \d+ LIST, \d+ GET\/HEAD, 1 PUT, 8 DELETE/);
    expect(text.stdout).not.to.include("mapper no-rule");
    expect(await Promise.all(Object.values(keys).map(versionsOf))).to.deep.equal(before);

    const refused = planCli(["--mapper", "no-rule"]);
    expect(refused.status).to.equal(2);
    expect(refused.stderr).to.include("data mapper 'no-rule' declares no retention");
    // `lethe retention run` refuses the same before invoking (or packaging) anything.
    const runRefused = planCli(["--mapper", "no-rule"], "run");
    expect(runRefused.status).to.equal(2);
    expect(runRefused.stderr).to.include("data mapper 'no-rule' declares no retention");
    const badTime = planCli(["--now", "yesterday"], "run");
    expect(badTime.status).to.equal(2);
    expect(badTime.stderr).to.include(
      '--now must be an ISO-8601 time (2026-12-07T12:00:00Z), got "yesterday"',
    );
  });

  it("a run drops the old partition unread, rewrites the straddling object, verifies, and signs its report", async () => {
    const deps = { s3: lake.s3, mutex: lakeMutex(lake, "retention-test"), ledger };
    const run = await runRetention(deps, mapper, now);

    // The old partition: every version of each object gone (no delete marker left either).
    expect(await versionsOf(keys.old)).to.deep.equal([]);
    expect(await versionsOf(keys.old2)).to.deep.equal([]);
    // Every row older by event_time: every version gone, no empty object written in its place.
    expect(await versionsOf(keys.allOlder)).to.deep.equal([]);
    // The straddling object: the current version holds exactly the newer rows, values unchanged.
    const kept = v2.filter(([, t]) => Date.parse(t) >= Date.parse("2026-11-07T12:00:00Z"));
    expect(kept.map((r) => r[0])).to.deep.equal(["c-1", "c-4", "c-5"]);
    expect(await rowsOf(keys.straddling)).to.deep.equal(kept.map(([c, t, a]) => [c, micro(t), a]));
    // v1 and v2 held an older row: deleted; v0 did not: kept as history.
    const left = await versionsOf(keys.straddling);
    expect(left).to.have.length(2);
    expect(left).to.include(versionIds[keys.straddling][0]);
    expect(left).not.to.include(versionIds[keys.straddling][1]);
    expect(left).not.to.include(versionIds[keys.straddling][2]);
    expect(await rowsOf(keys.straddling, versionIds[keys.straddling][0])).to.deep.equal(
      v0.map(([c, t, a]) => [c, micro(t), a]),
    );
    // Untouched: the fresh object and the newer partition keep their only version.
    expect(await versionsOf(keys.fresh)).to.deep.equal(versionIds[keys.fresh]);
    expect(await versionsOf(keys.newer)).to.deep.equal(versionIds[keys.newer]);

    const summary = await ledger.summary(run.batchId);
    expect(summary).to.deep.include({
      objectsPurged: 4,
      objectsFailed: 0,
      rowsRemoved: 4,
      versionsDeleted: 7,
    });
    // The run's summary item expires with its object items (the ledger's 30 days).
    const item = await makeDocumentClient().send(
      new GetCommand({ TableName: ledgerTable, Key: { pk: `batch#${run.batchId}`, sk: "summary" } }),
    );
    const expiry = Math.floor(Date.now() / 1000) + 30 * 86400;
    expect(item.Item?.ttl).to.be.within(expiry - 120, expiry + 1);

    const kms = makeKmsClient();
    const signingKey = await kms.send(
      new CreateKeyCommand({
        KeySpec: "ECC_NIST_P256",
        KeyUsage: "SIGN_VERIFY",
        Description: "retention test",
      }),
    );
    const signer = await loadReportSigner(kms, signingKey.KeyMetadata!.Arn!);
    const { uri } = await writeRetentionReport(
      lake.s3,
      { bucket: lake.bucket, kmsKeyArn: lake.kmsKeyArn },
      run,
      signer,
    );
    expect(uri).to.equal(
      `s3://${lake.bucket}/reports/retention/mapper=events/run=20261207T120000Z/report.json`,
    );
    const stored = await readRetentionReport(lake.s3, lake.bucket, "events", run.runId);
    expect(reportSignatureValid(stored.bytes, stored.signature!, signer.key.publicKey)).to.equal(true);
    const r = stored.report;
    expect(r).to.deep.include({ kind: "retention", verdict: "complete", cutoff: "2026-11-07T12:00:00.000Z" });
    expect(r.partitionsDropped).to.deep.equal(["2026-10-01"]);
    expect(r.totals).to.deep.equal({
      objectsDropped: 3,
      objectsRewritten: 1,
      objectsKept: 2,
      objectsFailed: 0,
      rowsRemoved: 4,
      versionsDeleted: 7,
      versionsWritten: 1,
    });
    expect(r.objects.every((o) => o.verified)).to.equal(true);
    // No customer ID in the report: a whole token c-<n>; version ids and ETags hold hex such as "2c-4".
    expect(JSON.stringify(r)).not.to.match(/\bc-\d+\b/);

    // The next run plans afresh and finds nothing older left.
    const again = await runRetention(deps, mapper, now);
    expect(again.objects).to.deep.equal([]);
    expect(again.plan.objectsKept).to.equal(3);
    expect((await ledger.summary(run.batchId)).versionsDeleted).to.equal(7);
  });

  it("the scheduled function runs each mapper that declares retention as of the event's time, and signs its report", async () => {
    const kms = makeKmsClient();
    const signingKey = (
      await kms.send(
        new CreateKeyCommand({
          KeySpec: "ECC_NIST_P256",
          KeyUsage: "SIGN_VERIFY",
          Description: "retention fn",
        }),
      )
    ).KeyMetadata!.Arn!;
    // A partition-only rule: clicks keep 30 days by dt alone; events (no rule here) are not touched.
    const clicks: DataMapper = {
      ...lake.mapper,
      name: "clicks",
      glueTable: "clicks",
      location: `s3://${lake.bucket}/clicks/`,
      retention: { days: 30 },
    };
    await put("clicks/dt=2026-01-01/part-0.parquet", [["c-7", "2026-01-01T00:00:00Z", 7]]);
    await put("clicks/dt=2026-11-20/part-0.parquet", [["c-7", "2026-11-20T00:00:00Z", 7]]);
    const eventsBefore = await versionsOf(keys.straddling);
    const handler = createRetentionHandler({
      [envNames.dataMappers]: JSON.stringify([lake.mapper, clicks]),
      [envNames.locksTable]: lake.lockTable,
      [envNames.ledgerTable]: ledgerTable,
      [envNames.reportBucket]: lake.bucket,
      [envNames.kmsKeyArn]: lake.kmsKeyArn,
      [envNames.reportSigningKeyArn]: signingKey,
    });
    // The event `lethe retention run --now` sends: the schedule's, at the time given.
    const event = retentionScheduledEvent(
      {
        local: true,
        schedules: [{ rule: "retention-schedule", expression: "rate(1 day)", functionName: "f" }],
      },
      { now },
    );
    expect(event).to.deep.include({ "detail-type": "Scheduled Event", time: "2026-12-07T12:00:00Z" });
    const reply = await handler(event);
    expect(reply.runs).to.have.length(1);
    expect(reply.runs[0]).to.deep.include({
      mapper: "clicks",
      verdict: "complete",
      report: `s3://${lake.bucket}/reports/retention/mapper=clicks/run=20261207T120000Z/report.json`,
    });
    expect(reply.runs[0].totals).to.deep.include({ objectsDropped: 1, objectsRewritten: 0, objectsKept: 1 });
    expect(await versionsOf("clicks/dt=2026-01-01/part-0.parquet")).to.deep.equal([]);
    expect(await versionsOf("clicks/dt=2026-11-20/part-0.parquet")).to.have.length(1);
    expect(await versionsOf(keys.straddling)).to.deep.equal(eventsBefore);
    const stored = await readRetentionReport(lake.s3, lake.bucket, "clicks", "20261207T120000Z");
    expect(stored.report.signingKey?.keyArn).to.equal(signingKey);
    expect(
      reportSignatureValid(stored.bytes, stored.signature!, stored.report.signingKey!.publicKey),
    ).to.equal(true);
    await handler({ mapper: "events" }).then(
      () => expect.fail("events declares no retention here"),
      (err: Error) => expect(err.message).to.include('no data mapper "events" declares retention'),
    );
  });
});
