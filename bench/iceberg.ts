// Benchmark of Lethe's copy-on-write erasure from an Iceberg table (runtime/erasure/iceberg/) on the
// local emulator (started here unless AWS_ENDPOINT_URL names one): PyIceberg writes a partitioned v2
// table over five commits through its Glue catalog (local/fixtures/iceberg_tables.py), Lethe erases two
// subjects, and this prints files rewritten, bytes read and written, snapshots expired, versions deleted
// and the time, next to what Athena's DELETE + OPTIMIZE + VACUUM would have to rewrite (docs/iceberg.md).
// Run: npm run bench:iceberg
import { CreateBucketCommand, PutBucketVersioningCommand } from "@aws-sdk/client-s3";
import { startLocalEmulator, useLocalEmulator, type LocalEmulator } from "../local/emulator";
import { makeTable } from "../local/fixtures/icebergTables";
import { makeGlueClient, makeS3Client } from "../runtime/aws/clients";
import { eraseFromIcebergTable } from "../runtime/erasure/iceberg/icebergErase";
import { keyMatcher } from "../runtime/subjects/matcher";

async function main(): Promise<void> {
  let emulator: LocalEmulator | undefined;
  if (!process.env.AWS_ENDPOINT_URL) {
    emulator = await startLocalEmulator();
    useLocalEmulator(emulator.endpoint);
  }
  try {
    const s3 = makeS3Client();
    const glue = makeGlueClient();
    const bucket = `lethe-bench-iceberg-${Date.now()}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }),
    );
    const made = makeTable("bench", "orders", bucket, true, 2);
    const figures = await eraseFromIcebergTable({
      s3,
      glue,
      database: "bench",
      table: "orders",
      matcher: keyMatcher(["customer_id"], ["cust-00005", "cust-00100"]),
    });
    console.log(
      `table: ${made.rows} rows, ${made.snapshots} snapshots, partitioned by country (3 partitions)`,
    );
    console.log(
      `data files scanned:   ${figures.dataFilesScanned} (holding a subject: ${figures.dataFilesAffected})`,
    );
    console.log(`files rewritten:      ${figures.filesRewritten} (dropped whole: ${figures.filesDropped})`);
    console.log(`rows removed:         ${figures.rowsRemoved}`);
    console.log(`bytes read:           ${figures.bytesRead}`);
    console.log(`bytes written:        ${figures.bytesWritten}`);
    console.log(`snapshots expired:    ${figures.snapshotsExpired} (kept: ${figures.snapshotsKept})`);
    console.log(
      `files deleted:        ${figures.cleanup.filesDeleted} (S3 versions deleted: ${figures.cleanup.versionsDeleted})`,
    );
    console.log(`commit attempts:      ${figures.attempts}`);
    console.log(`time:                 ${figures.ms} ms`);
  } finally {
    await emulator?.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
