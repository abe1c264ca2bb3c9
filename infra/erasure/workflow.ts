// The erasure state machine, deployed: the definition comes from runtime/erasure/workflow/definition.ts
// (the very JSON local mode runs), each Task backed by its function. The machine's role may invoke
// exactly those functions; its execution data is encrypted with the stack key and its errors logged
// to a KMS-encrypted log group without execution data (payloads hold counts, never IDs, but a log is
// no place to find out).
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Tags } from "../components/tags";
import { serviceTrustPolicy } from "../components/policyDocuments";
import {
  WorkflowStore,
  WorkflowTask,
  workflowDefinition,
  workflowTasks,
} from "../../runtime/erasure/workflow/definition";

export interface ErasureWorkflowArgs {
  tags: pulumi.Input<Tags>;
  kmsKeyArn: pulumi.Input<string>;
  logRetentionDays: pulumi.Input<number>;
  /** The function behind each task. */
  functionArns: Record<WorkflowTask, pulumi.Input<string>>;
  approvalRequired: boolean;
  drainSeconds: number;
  ledgerPollSeconds: number;
  maxVerifyRounds: number;
  approvalTimeoutSeconds: number;
  taskTimeoutSeconds: number;
  /** The stores beyond the lake, each with its function: one branch each beside the lake's. */
  stores?: { name: string; kind: WorkflowStore["kind"]; functionArn: pulumi.Input<string> }[];
}

export class ErasureWorkflow extends pulumi.ComponentResource {
  readonly stateMachine: aws.sfn.StateMachine;
  readonly role: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
  /** The definition as deployed (JSON text), for tests and `lethe up --local`. */
  readonly definition: pulumi.Output<string>;

  constructor(name: string, args: ErasureWorkflowArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:erasure:ErasureWorkflow", name, {}, opts);
    const parent = { parent: this };
    const identity = aws.getCallerIdentityOutput({}, parent);
    const region = aws.getRegionOutput({}, parent);
    const machineName = `lethe-${pulumi.getStack()}-erasure`;

    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      {
        name: `/aws/vendedlogs/states/${machineName}`,
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.kmsKeyArn,
        tags: args.tags,
      },
      parent,
    );

    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `Lethe ${machineName}: runs the erasure state machine`,
        assumeRolePolicy: identity.accountId.apply((account) =>
          serviceTrustPolicy("states.amazonaws.com", { StringEquals: { "aws:SourceAccount": account } }),
        ),
        tags: args.tags,
      },
      parent,
    );
    const arns = pulumi.all(workflowTasks.map((t) => pulumi.output(args.functionArns[t])));
    const stores = pulumi.all(
      (args.stores ?? []).map((st) =>
        pulumi.output(st.functionArn).apply((functionArn): WorkflowStore => ({ ...st, functionArn })),
      ),
    );
    const policy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: this.role.id,
        policy: pulumi
          .all([arns, stores, args.kmsKeyArn, region.region])
          .apply(([tasks, storeList, keyArn, regionName]) => {
            const functions = [...tasks, ...storeList.map((st) => st.functionArn)];
            return JSON.stringify({
              Version: "2012-10-17",
              Statement: [
                {
                  Sid: "InvokeTaskFunctions",
                  Effect: "Allow",
                  Action: "lambda:InvokeFunction",
                  Resource: [...new Set(functions)].flatMap((f) => [f, `${f}:*`]),
                },
                {
                  Sid: "EncryptExecutionData",
                  Effect: "Allow",
                  Action: ["kms:GenerateDataKey", "kms:Decrypt"],
                  Resource: keyArn,
                  Condition: {
                    StringEquals: { "kms:ViaService": `states.${regionName}.amazonaws.com` },
                  },
                },
                {
                  // Log delivery to CloudWatch Logs: these actions take no resource ARN (AWS documents "*").
                  Sid: "DeliverLogs",
                  Effect: "Allow",
                  Action: [
                    "logs:CreateLogDelivery",
                    "logs:GetLogDelivery",
                    "logs:UpdateLogDelivery",
                    "logs:DeleteLogDelivery",
                    "logs:ListLogDeliveries",
                    "logs:PutResourcePolicy",
                    "logs:DescribeResourcePolicies",
                    "logs:DescribeLogGroups",
                  ],
                  Resource: "*",
                },
              ],
            });
          }),
      },
      parent,
    );

    this.definition = pulumi.all([arns, stores]).apply(([functions, storeList]) =>
      JSON.stringify(
        workflowDefinition({
          functionArns: Object.fromEntries(workflowTasks.map((t, i) => [t, functions[i]])) as Record<
            WorkflowTask,
            string
          >,
          approvalRequired: args.approvalRequired,
          drainSeconds: args.drainSeconds,
          ledgerPollSeconds: args.ledgerPollSeconds,
          maxVerifyRounds: args.maxVerifyRounds,
          approvalTimeoutSeconds: args.approvalTimeoutSeconds,
          taskTimeoutSeconds: args.taskTimeoutSeconds,
          stores: storeList,
        }),
      ),
    );

    this.stateMachine = new aws.sfn.StateMachine(
      `${name}-machine`,
      {
        name: machineName,
        type: "STANDARD",
        roleArn: this.role.arn,
        definition: this.definition,
        loggingConfiguration: {
          logDestination: pulumi.interpolate`${this.logGroup.arn}:*`,
          includeExecutionData: false,
          level: "ERROR",
        },
        encryptionConfiguration: {
          type: "CUSTOMER_MANAGED_KMS_KEY",
          kmsKeyId: args.kmsKeyArn,
          kmsDataKeyReusePeriodSeconds: 300,
        },
        tracingConfiguration: { enabled: true },
        tags: args.tags,
      },
      { parent: this, dependsOn: [policy] },
    );
    this.registerOutputs({ stateMachineArn: this.stateMachine.arn });
  }
}
