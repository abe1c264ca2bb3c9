// Every Lethe Lambda the same way: a magic Lambda (closure-serialized `CallbackFunction`, Node.js 22)
// with its own least-privilege role built from the statements the caller passes (never the nine
// *FullAccess policies CallbackFunction attaches without a role), a KMS-encrypted TLS-only SQS
// dead-letter queue, a KMS-encrypted log group with retention, JSON logs and the GDPR tags.
//
// The handler comes from a `runtime/` module through `callbackFactory` (run once per cold start).
// Pulumi serializes local modules by value: classes become functions, so runtime code must not rely
// on class field initializers or module-level mutable state (test/infra/lambdaClosure.test.ts proves
// the serialized handlers run).
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Tags } from "./tags";
import { serviceTrustPolicy } from "./policyDocuments";
import { secureQueue } from "./secureQueue";

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** Throws when a statement grants "*" or a whole service ("s3:*"): every action must be named. */
export function assertNamedActions(owner: string, statements: readonly PolicyStatement[]): void {
  for (const s of statements) {
    for (const a of [s.Action].flat()) {
      if (a === "*" || a.endsWith(":*")) {
        throw new Error(`${owner}: IAM action "${a}" is too broad; name the actions the function needs`);
      }
    }
  }
}

export interface LetheFunctionArgs {
  /** Short name: the function is called `lethe-<stack>-<shortName>` (at most 64 characters). */
  shortName: string;
  description: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  callbackFactory: aws.lambda.CallbackFactory<any, any>;
  /** What the function may do beyond writing its own logs and dead letters. No "*" actions. */
  statements: pulumi.Input<PolicyStatement[]>;
  environment?: Record<string, pulumi.Input<string>>;
  memorySizeMb: pulumi.Input<number>;
  timeoutSeconds: pulumi.Input<number>;
  /** Concurrency cap (and guarantee); undefined for the account's unreserved pool. */
  reservedConcurrentExecutions?: pulumi.Input<number>;
  kmsKeyArn: pulumi.Input<string>;
  /**
   * AWS services (e.g. ["s3", "dynamodb"]) through which the role may use the stack key, besides Lambda
   * (environment variables) and SQS (its dead-letter queue): the key's use is then limited by
   * `kms:ViaService`. Undefined: the key may be used directly.
   */
  stackKeyViaServices?: string[];
  logRetentionDays: pulumi.Input<number>;
  tags: pulumi.Input<Tags>;
}

export class LetheFunction extends pulumi.ComponentResource {
  readonly function: aws.lambda.CallbackFunction<unknown, unknown>;
  readonly role: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly deadLetterQueue: aws.sqs.Queue;
  readonly functionName: string;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: LetheFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:compute:LetheFunction", name, {}, opts);
    const parent = { parent: this };
    const identity = aws.getCallerIdentityOutput({}, parent);
    const region = aws.getRegionOutput({}, parent);
    const partition = aws.getPartitionOutput({}, parent);

    this.functionName = `lethe-${pulumi.getStack()}-${args.shortName}`;
    if (this.functionName.length > 64) {
      throw new Error(`Lambda name ${this.functionName} is longer than 64 characters; shorten shortName`);
    }

    this.deadLetterQueue = secureQueue(`${name}-dlq`, { kmsKeyArn: args.kmsKeyArn, tags: args.tags }, parent);

    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      {
        name: `/aws/lambda/${this.functionName}`,
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.kmsKeyArn,
        tags: args.tags,
      },
      parent,
    );

    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `Lethe ${args.shortName}: ${args.description}`.slice(0, 1000),
        assumeRolePolicy: identity.accountId.apply((account) =>
          serviceTrustPolicy("lambda.amazonaws.com", { StringEquals: { "aws:SourceAccount": account } }),
        ),
        tags: args.tags,
      },
      parent,
    );

    const policy = pulumi
      .all([
        partition.partition,
        region.region,
        identity.accountId,
        this.deadLetterQueue.arn,
        args.kmsKeyArn,
        args.statements,
      ])
      .apply(([part, regionName, account, dlqArn, keyArn, statements]) => {
        assertNamedActions(name, statements);
        const own: PolicyStatement[] = [
          {
            // AWSLambdaBasicExecutionRole, scoped to this function's own log group.
            Sid: "WriteOwnLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `arn:${part}:logs:${regionName}:${account}:log-group:/aws/lambda/${this.functionName}:*`,
          },
          { Sid: "SendDeadLetters", Effect: "Allow", Action: "sqs:SendMessage", Resource: dlqArn },
          {
            // The dead-letter queue and the environment variables are encrypted with our key.
            Sid: "UseStackKey",
            Effect: "Allow",
            Action: ["kms:GenerateDataKey", "kms:Decrypt"],
            Resource: keyArn,
            ...(args.stackKeyViaServices
              ? {
                  Condition: {
                    StringEquals: {
                      "kms:ViaService": ["lambda", "sqs", ...args.stackKeyViaServices].map(
                        (service) => `${service}.${regionName}.amazonaws.com`,
                      ),
                    },
                  },
                }
              : {}),
          },
        ];
        return JSON.stringify({ Version: "2012-10-17", Statement: [...own, ...statements] });
      });
    const rolePolicy = new aws.iam.RolePolicy(`${name}-policy`, { role: this.role.id, policy }, parent);

    this.function = new aws.lambda.CallbackFunction<unknown, unknown>(
      `${name}-function`,
      {
        name: this.functionName,
        description: args.description,
        runtime: "nodejs22.x",
        callbackFactory: args.callbackFactory,
        role: this.role,
        memorySize: args.memorySizeMb,
        timeout: args.timeoutSeconds,
        reservedConcurrentExecutions: args.reservedConcurrentExecutions,
        deadLetterConfig: { targetArn: this.deadLetterQueue.arn },
        loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
        kmsKeyArn: args.kmsKeyArn,
        environment: {
          variables: {
            POWERTOOLS_METRICS_NAMESPACE: "Lethe",
            ...args.environment,
          },
        },
        tags: args.tags,
      },
      { parent: this, dependsOn: [rolePolicy, this.logGroup] },
    );
    this.arn = this.function.arn;
    this.registerOutputs({
      functionName: this.function.name,
      arn: this.arn,
      deadLetterQueueUrl: this.deadLetterQueue.url,
    });
  }
}
