// Run as a child process by test/runtime/tracing.test.ts, with the environment Lambda gives a traced
// function (AWS_EXECUTION_ENV, LAMBDA_TASK_ROOT, _X_AMZN_TRACE_ID, AWS_XRAY_DAEMON_ADDRESS): one
// handler wrapped by letheHandler makes an SDK call (the emulator's DynamoDB) and a subsystem exchange
// (the HTTP double at TRACE_PROBE_SUBSYSTEM_URL, the subject TRACE_PROBE_SUBJECT in its body), logs a line, and on its
// second invocation fails with an error naming a subject. Prints nothing but the handler's logs.
import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { handlerTools, letheHandler } from "../../runtime/aws/letheHandler";
import { makeDynamoDbClient } from "../../runtime/aws/clients";
import { subsystemClient } from "../../runtime/stores/subsystem";

const probeSubject = process.env.TRACE_PROBE_SUBJECT!;

const tools = handlerTools("lethe-trace-probe");
const ddb = makeDynamoDbClient();
const subsystem = subsystemClient(
  {
    name: "crm",
    kind: "subsystem",
    owner: "crm-team@example.com",
    url: process.env.TRACE_PROBE_SUBSYSTEM_URL!,
    mode: "sync",
    signingSecret: "crm-secret",
  },
  { get: async () => "s3cret", refresh: async () => "s3cret" },
  { allowLoopbackHttp: true },
);

const handler = letheHandler(tools, async (event: { fail?: boolean }) => {
  const tables = await ddb.send(new ListTablesCommand({}));
  const outcome = await subsystem.submit({ batchId: "b-probe", requestId: "r-probe" }, [probeSubject]);
  tools.logger.info("probe done", { tables: tables.TableNames?.length ?? 0, status: outcome.status });
  if (event.fail) throw new Error(`subject ${probeSubject} could not be erased`);
  return { ok: true };
});

void (async () => {
  await handler({});
  await handler({ fail: true }).catch(() => undefined);
})();
