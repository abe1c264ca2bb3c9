// Reports made the way the stack makes them: a sample batch (local/fixtures/sampleReportBatch.ts) in the
// shared local stack, run through the report task, read back from its report bucket.
import { randomUUID } from "node:crypto";
import type { ErasureReport } from "../../runtime/contracts/report";
import type { LocalStack } from "../../runtime/contracts/stack";
import { readReport } from "../../runtime/erasure/report/reportStore";
import type { SubjectHasher } from "../../runtime/subjects/subjectHash";
import { decideApproval } from "../../runtime/erasure/approval";
import { reportBatch, ReportTaskDeps, ReportTaskReply } from "../../runtime/erasure/workflow/tasks/report";
import { createBucketLike } from "../../local/stack";
import {
  SampleBatch,
  SampleBatchOptions,
  sampleReportSetup,
  seedSampleBatch,
} from "../../local/fixtures/sampleReportBatch";
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
    const bucket = (stack as unknown as { reportBucket?: string }).reportBucket;
    const reportBucket =
      bucket ??
      (await createBucketLike("lakeBucket", `lethe-reports-${randomUUID().slice(0, 8)}`, stack.kmsKeyArn));
    const { deps, seedStack, hasher } = await sampleReportSetup(stack, reportBucket);
    const s3 = deps.s3;
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
