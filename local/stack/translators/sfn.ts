// Step Functions: the erasure state machine with the program's own definition (mocked identifiers
// made local). The emulator holds the machine so that a deployed-style client (the batch function's
// StartExecution, cancel's StopExecution) finds it; local mode runs the same definition in process.
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  ListStateMachinesCommand,
  SFNClient,
  UpdateStateMachineCommand,
} from "@aws-sdk/client-sfn";
import { ignoringMissing, localize, recordLocal, ResourceTranslator, tagList } from "../context";

async function findMachine(sfn: SFNClient, name: string): Promise<string | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListStateMachinesCommand({ nextToken }));
    const hit = page.stateMachines?.find((m) => m.name === name);
    if (hit) return hit.stateMachineArn;
    nextToken = page.nextToken;
  } while (nextToken);
  return undefined;
}

export const sfnTranslators: Record<string, ResourceTranslator> = {
  "aws:sfn/stateMachine:StateMachine": {
    async up(r, ctx) {
      const i = r.inputs;
      const existing = await findMachine(ctx.clients.sfn, r.mocked.name);
      if (existing) {
        await ctx.clients.sfn.send(
          new UpdateStateMachineCommand({
            stateMachineArn: existing,
            definition: i.definition,
            roleArn: i.roleArn,
          }),
        );
        recordLocal(ctx, r.mocked.arn, existing);
        return;
      }
      const created = await ctx.clients.sfn.send(
        new CreateStateMachineCommand({
          name: r.mocked.name,
          definition: i.definition,
          roleArn: i.roleArn,
          type: i.type,
          tags: tagList(i.tags).map(({ Key, Value }) => ({ key: Key, value: Value })),
        }),
      );
      recordLocal(ctx, r.mocked.arn, created.stateMachineArn);
    },
    down: (r, ctx) =>
      ignoringMissing(() =>
        ctx.clients.sfn.send(
          new DeleteStateMachineCommand({ stateMachineArn: localize(r.mocked.arn, ctx.localResources) }),
        ),
      ),
  },
};
