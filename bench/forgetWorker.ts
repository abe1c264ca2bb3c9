// One purge worker of the forget benchmark, in its own process so its peak RSS is its own: runs the
// purge handler against the purge queue (as Lambda's event source mapping would) until stdin closes,
// then prints its peak RSS. Environment: the purge function's variables and AWS_ENDPOINT_URL.
import { makeSqsClient } from "../runtime/aws/clients";
import { envNames } from "../runtime/contracts/env";
import { createPurgeHandler } from "../runtime/handlers/purge";
import { pollQueue } from "../local/queuePoller";

async function main(): Promise<void> {
  let stopped = false;
  process.stdin.on("end", () => (stopped = true));
  process.stdin.resume();
  const handler = createPurgeHandler(process.env);
  const queueUrl = process.env[envNames.purgeQueueUrl]!;
  process.stdout.write("READY\n");
  const totals = await pollQueue(makeSqsClient(), queueUrl, handler, {
    batchSize: 2,
    idleReceives: Number.POSITIVE_INFINITY,
    stop: () => stopped,
  });
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`RESULT ${JSON.stringify({ ...totals, maxRssMb })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
