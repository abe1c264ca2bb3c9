// Every Lethe Lambda the same way: a magic Lambda (closure-serialized `CallbackFunction`, Node.js 22)
// with its own least-privilege role built from the statements the caller passes (never the nine
// *FullAccess policies CallbackFunction attaches without a role), a KMS-encrypted TLS-only SQS
// dead-letter queue, a KMS-encrypted log group with retention, JSON logs and the GDPR tags.
//
// The handler comes from a `runtime/` module through `callbackFactory` (run once per cold start).
// The runtime ships as real compiled files that the serialized closure requires, and each zip holds
// only the compiled files and packages its factory reaches (./runtimePackage.ts; docs/lambda-functions.md;
// test/packaging proves every packaged function loads and runs).
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Tags } from "./tags";
import { serviceTrustPolicy, viaServices } from "./policyDocuments";
import { secureQueue } from "./secureQueue";
import { functionContents, FunctionContents } from "./runtimePackage";
import { declaredFunction, LetheFunctionKey, letheFunctions } from "../../runtime/contracts/functions";

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
  /** POWERTOOLS_SERVICE_NAME (the table of functions' serviceName; see `declared`). */
  serviceName?: string;
  description: string;
  /**
   * Runs once per cold start and returns the handler: `() => createXHandler()`, calling a function
   * exported by a `runtime/` module (which decides what the zip carries).
   */
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
   * Services through which the function's code uses the stack key ("s3", "dynamodb", ...). Lambda
   * (decrypting the environment) and SQS (dead letters) are always allowed; no direct KMS call is.
   */
  kmsViaServices?: string[];
  logRetentionDays: pulumi.Input<number>;
  tags: pulumi.Input<Tags>;
  /** Runs the function in a VPC (e.g. a database's); the caller grants the network-interface actions. */
  vpcConfig?: { subnetIds: pulumi.Input<string[]>; securityGroupIds: pulumi.Input<string[]> };
}

/**
 * Sending trace segments to X-Ray (what AWSXrayWriteOnlyAccess grants, without its sampling reads):
 * these two actions take no resource ARN, so AWS documents Resource "*" for them (policies/rules/iam.ts
 * accepts exactly these on "*").
 */
export const traceWriteStatement: PolicyStatement = {
  Sid: "WriteTraces",
  Effect: "Allow",
  Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
  Resource: "*",
};

/**
 * A function's name and sizing as the table of functions declares them (runtime/contracts/functions.ts),
 * to spread into its LetheFunctionArgs; its service name goes into its environment.
 */
export function declared(
  key: LetheFunctionKey,
): Pick<LetheFunctionArgs, "shortName" | "memorySizeMb" | "timeoutSeconds" | "serviceName"> {
  return declaredNamed(letheFunctions[key].shortName);
}

/** `declared`, by the function's short name. */
export function declaredNamed(
  shortName: string,
): Pick<LetheFunctionArgs, "shortName" | "memorySizeMb" | "timeoutSeconds" | "serviceName"> {
  const f = declaredFunction(shortName);
  return {
    shortName: f.shortName,
    memorySizeMb: f.memorySizeMb,
    timeoutSeconds: f.timeoutSeconds,
    serviceName: f.serviceName,
  };
}

/** The services every Lethe function uses the stack key through: its environment and its DLQ. */
export const functionKeyServices = ["lambda", "sqs"] as const;

export class LetheFunction extends pulumi.ComponentResource {
  readonly function: aws.lambda.CallbackFunction<unknown, unknown>;
  readonly role: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly deadLetterQueue: aws.sqs.Queue;
  readonly functionName: string;
  readonly arn: pulumi.Output<string>;
  /** What the zip carries besides the serialized closure. */
  readonly contents: FunctionContents;

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

    this.contents = functionContents(name, args.callbackFactory);

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
          traceWriteStatement,
          {
            // The environment variables, the dead-letter queue and whatever the code touches through
            // the services named are encrypted with our key; only through those services.
            Sid: "UseStackKey",
            Effect: "Allow",
            Action: ["kms:GenerateDataKey", "kms:Decrypt"],
            Resource: keyArn,
            Condition: viaServices(regionName, [
              ...new Set([...functionKeyServices, ...(args.kmsViaServices ?? [])]),
            ]),
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
        codePathOptions: {
          extraIncludePaths: this.contents.includePaths,
          extraExcludePackages: this.contents.excludePackages,
        },
        role: this.role,
        memorySize: args.memorySizeMb,
        timeout: args.timeoutSeconds,
        reservedConcurrentExecutions: args.reservedConcurrentExecutions,
        deadLetterConfig: { targetArn: this.deadLetterQueue.arn },
        vpcConfig: args.vpcConfig,
        loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
        // X-Ray active tracing: Lambda samples each invocation and the Tracer adds its subsegments.
        tracingConfig: { mode: "Active" },
        kmsKeyArn: args.kmsKeyArn,
        environment: {
          variables: {
            POWERTOOLS_METRICS_NAMESPACE: "Lethe",
            ...(args.serviceName ? { POWERTOOLS_SERVICE_NAME: args.serviceName } : {}),
            // A reply or an error message may name a subject: neither goes into a trace.
            POWERTOOLS_TRACER_CAPTURE_RESPONSE: "false",
            POWERTOOLS_TRACER_CAPTURE_ERROR: "false",
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
