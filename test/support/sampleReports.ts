// Reports made the way the stack makes them: a sample batch (tools/sampleReportBatch.ts) in the
// shared local stack, run through the report task, read back from its report bucket.
import { randomUUID } from "node:crypto";
import { makeDocumentClient, makeKmsClient, makeS3Client } from "../../runtime/aws/clients";
import type { ErasureReport } from "../../runtime/contracts/report";
import type { LocalStack } from "../../runtime/contracts/stack";
import { readReport } from "../../runtime/erasure/report/reportStore";
import { loadSubjectHasher, SubjectHasher } from "../../runtime/erasure/subjectHash";
import { decideApproval } from "../../runtime/erasure/approval";
import { reportBatch, ReportTaskDeps, ReportTaskReply } from "../../runtime/erasure/workflow/tasks/report";
import { createBucketLike } from "../../tools/localStack";
import { SampleBatch, SampleBatchOptions, seedSampleBatch } from "../../tools/sampleReportBatch";
import { sharedLocalStack } from "./localStack";

export interface ReportFixture {
  stack: LocalStack;
  deps: ReportTaskDeps;
  hasher: SubjectHasher;
  /** Seeds a batch of `ending` in the stack (nothing reported yet). */
  seed(o: SampleBatchOptions): Promise<SampleBatch>;
  /** Seeds a batch and runs the report task on it (a rejected one is rejected first, by the approval module). */
  reported(
    o: SampleBatchOptions,
  ): Promise<{ batch: SampleBatch; reply: ReportTaskReply; reports: ErasureReport[] }>;
}

let shared: Promise<ReportFixture> | undefined;

export function reportFixture(): Promise<ReportFixture> {
  shared ??= (async () => {
    const stack = await sharedLocalStack();
    const s3 = makeS3Client();
    const doc = makeDocumentClient();
    const hasher = await loadSubjectHasher(makeKmsClient(), stack.subjectHashKeyArn);
    const bucket = (stack as unknown as { reportBucket?: string }).reportBucket;
    const reportBucket =
      bucket ??
      (await createBucketLike("lakeBucket", `lethe-reports-${randomUUID().slice(0, 8)}`, stack.kmsKeyArn));
    const erasure = stack.erasureSettings;
    const audit = {
      tableName: stack.auditTable,
      erasure,
      overflow: { s3, bucket: stack.auditBucket, kmsKeyArn: stack.kmsKeyArn },
    };
    const tables = { doc, ledgerTable: stack.ledgerTable, requestsTable: stack.requestsTable };
    const deps: ReportTaskDeps = {
      ...tables,
      s3,
      audit,
      reportBucket: { bucket: reportBucket, kmsKeyArn: stack.kmsKeyArn },
      erasure,
      hasher: async () => hasher,
    };
    const seedStack = {
      doc,
      s3,
      tables,
      audit,
      lakeBucket: stack.lakeBucket,
      kmsKeyArn: stack.kmsKeyArn,
      hasher,
    };
    const seed = (o: SampleBatchOptions) => seedSampleBatch(seedStack, o);
    return {
      stack,
      deps,
      hasher,
      seed,
      async reported(o) {
        const batch = await seed(o);
        let state = batch.state;
        if (o.ending === "rejected") {
          const resumed: Record<string, unknown>[] = [];
          await decideApproval(
            { ...deps, resume: async (_t, output) => void resumed.push(output) },
            {
              batchId: batch.batchId,
              decision: "reject",
              reason: "the plan reaches the finance archive",
              by: "auditor",
            },
          );
          state = { ...state, approval: resumed[0] };
        }
        const reply = await reportBatch(deps, state);
        const reports: ErasureReport[] = [];
        for (const id of batch.requestIds) reports.push((await readReport(s3, reportBucket, id))!);
        return { batch, reply, reports };
      },
    };
  })();
  return shared;
}
