// Compliant resource shapes the rule tests start from (each test breaks one thing). The Lambda shape
// is the one infra/components/letheFunction.ts builds: explicit least-privilege role, DLQ on a KMS-encrypted SQS
// queue, a /aws/lambda/<name> log group with retention and KMS, loggingConfig.logGroup, GDPR tags.
import type { Spec } from "./evaluate";

export const tags = { project: "lethe", gdpr: "true" };
export const keyArn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd";

export function spec(type: string, name: string, props: Record<string, unknown>, deps?: Spec["deps"]): Spec {
  return { type, name, props, deps };
}

export function table(name: string, patch: Record<string, unknown> = {}): Spec {
  return spec("aws:dynamodb/table:Table", name, {
    name,
    billingMode: "PAY_PER_REQUEST",
    hashKey: "pk",
    serverSideEncryption: { enabled: true, kmsKeyArn: keyArn },
    pointInTimeRecovery: { enabled: true },
    ttl: { attributeName: "ttl", enabled: true },
    tags,
    ...patch,
  });
}

export interface BucketParts {
  bucket: Spec;
  versioning: Spec;
  encryption: Spec;
  publicAccessBlock: Spec;
  lifecycle: Spec;
  policy: Spec;
}

/** A bucket configured the @pulumi/aws 7 way: separate resources naming it by `bucket` (its id). */
export function secureBucket(name: string, noncurrentDays = 7): BucketParts {
  const bucket = spec("aws:s3/bucket:Bucket", name, {
    bucket: `${name}-1a2b3c4`,
    id: `${name}-1a2b3c4`,
    tags,
  });
  const arn = `arn:aws:s3:::${name}-1a2b3c4`;
  const on = (type: string, suffix: string, props: Record<string, unknown>) =>
    spec(type, `${name}-${suffix}`, { bucket: bucket.props.bucket, ...props }, { bucket: [bucket] });
  return {
    bucket,
    versioning: on("aws:s3/bucketVersioning:BucketVersioning", "versioning", {
      versioningConfiguration: { status: "Enabled" },
    }),
    encryption: on(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      "encryption",
      {
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyArn } }],
      },
    ),
    publicAccessBlock: on("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "pab", {
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    }),
    lifecycle: on("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "lifecycle", {
      rules: [
        { id: "expire", status: "Enabled", filter: {}, noncurrentVersionExpiration: { noncurrentDays } },
      ],
    }),
    policy: on("aws:s3/bucketPolicy:BucketPolicy", "tls-only", {
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [arn, `${arn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ],
      }),
    }),
  };
}

export const all = (parts: object): Spec[] => Object.values(parts) as Spec[];

export function queue(name: string, patch: Record<string, unknown> = {}): Spec {
  return spec("aws:sqs/queue:Queue", name, {
    name,
    arn: `arn:aws:sqs:eu-west-1:123456789012:${name}`,
    url: `https://sqs.eu-west-1.amazonaws.com/123456789012/${name}`,
    kmsMasterKeyId: keyArn,
    tags,
    ...patch,
  });
}

export interface FunctionParts {
  role: Spec;
  rolePolicy: Spec;
  dlq: Spec;
  logGroup: Spec;
  fn: Spec;
}

/** The letheFunction shape. */
export function letheFunction(name: string): FunctionParts {
  const role = spec("aws:iam/role:Role", `${name}-role`, {
    name: `${name}-role-1a2b3c4`,
    arn: `arn:aws:iam::123456789012:role/${name}-role-1a2b3c4`,
    assumeRolePolicy: JSON.stringify({
      Statement: [
        { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
      ],
    }),
    tags,
  });
  const dlq = queue(`${name}-dlq`);
  const logGroup = spec("aws:cloudwatch/logGroup:LogGroup", `${name}-logs`, {
    name: `/aws/lambda/lethe-dev-${name}`,
    retentionInDays: 90,
    kmsKeyId: keyArn,
    tags,
  });
  const rolePolicy = spec(
    "aws:iam/rolePolicy:RolePolicy",
    `${name}-policy`,
    {
      role: role.props.name,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["dynamodb:GetItem", "dynamodb:PutItem"],
            Resource: "arn:aws:dynamodb:eu-west-1:123456789012:table/x",
          },
          { Effect: "Allow", Action: "sqs:SendMessage", Resource: dlq.props.arn },
          {
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/lethe-dev-${name}:*`,
          },
          {
            Sid: "WriteTraces",
            Effect: "Allow",
            Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            Resource: "*",
          },
        ],
      }),
    },
    { role: [role] },
  );
  const fn = spec(
    "aws:lambda/function:Function",
    name,
    {
      name: `lethe-dev-${name}`,
      runtime: "nodejs22.x",
      role: role.props.arn,
      deadLetterConfig: { targetArn: dlq.props.arn },
      loggingConfig: { logFormat: "JSON", logGroup: logGroup.props.name },
      tracingConfig: { mode: "Active" },
      tags,
    },
    { role: [role], deadLetterConfig: [dlq], loggingConfig: [logGroup] },
  );
  return { role, rolePolicy, dlq, logGroup, fn };
}

const nineDefaults = [
  "arn:aws:iam::aws:policy/AWSLambda_FullAccess",
  "arn:aws:iam::aws:policy/CloudWatchFullAccessV2",
  "arn:aws:iam::aws:policy/CloudWatchEventsFullAccess",
  "arn:aws:iam::aws:policy/AmazonS3FullAccess",
  "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",
  "arn:aws:iam::aws:policy/AmazonSQSFullAccess",
  "arn:aws:iam::aws:policy/AmazonKinesisFullAccess",
  "arn:aws:iam::aws:policy/AmazonCognitoPowerUser",
  "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
];

/** What `new aws.lambda.CallbackFunction(name, { callback })` registers when no role is passed. */
export function defaultRoleAttachments(name: string, role: Spec): Spec[] {
  return nineDefaults.map((policyArn, i) =>
    spec(
      "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
      `${name}-${i}`,
      { role: role.props.name, policyArn },
      { role: [role] },
    ),
  );
}
