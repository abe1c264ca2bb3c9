// SQS, SNS, Firehose, Athena, Glue, KMS and CloudWatch Logs rules.
import { expect } from "chai";
import { violationsOf } from "./evaluate";
import { keyArn, queue, spec, tags } from "./shapes";

describe("policies: SQS, SNS, Firehose, Athena, Glue, KMS, Logs", () => {
  it("sqs-kms-encryption: requires a customer-managed key", async () => {
    expect(await violationsOf("sqs-kms-encryption", [queue("q")])).to.deep.equal([]);
    for (const patch of [
      { kmsMasterKeyId: undefined, sqsManagedSseEnabled: true },
      { kmsMasterKeyId: "alias/aws/sqs" },
    ]) {
      const v = await violationsOf("sqs-kms-encryption", [queue("q", patch)]);
      expect(v.map((x) => x.message)).to.deep.equal([
        'SQS queue "q" is not encrypted with a customer-managed KMS key. Set `kmsMasterKeyId: <CMK ARN>` (and kmsDataKeyReusePeriodSeconds) on the queue.',
      ]);
    }
  });

  it("sqs-redrive-policy: requires a redrive policy except on dead-letter queues", async () => {
    const dlq = queue("dlq");
    const work = queue("work", {
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.props.arn, maxReceiveCount: 5 }),
    });
    expect(await violationsOf("sqs-redrive-policy", [dlq, work])).to.deep.equal([]);
    const v = await violationsOf("sqs-redrive-policy", [queue("lonely")]);
    expect(v[0].message).to.equal(
      'SQS queue "lonely" has no redrive policy and is no other queue\'s dead-letter queue: a message that keeps failing is retried until it expires and is lost. Set `redrivePolicy: JSON.stringify({ deadLetterTargetArn: <DLQ ARN>, maxReceiveCount: 5 })`.',
    );
    // A Lambda's DLQ, and a queue with a separate aws.sqs.RedrivePolicy, pass.
    const fnDlq = queue("fn-dlq");
    const fn = spec("aws:lambda/function:Function", "fn", {
      deadLetterConfig: { targetArn: fnDlq.props.arn },
    });
    const other = queue("other");
    const redrive = spec(
      "aws:sqs/redrivePolicy:RedrivePolicy",
      "other-redrive",
      { queueUrl: other.props.url, redrivePolicy: "{}" },
      { queueUrl: [other] },
    );
    expect(await violationsOf("sqs-redrive-policy", [fnDlq, fn, other, redrive])).to.deep.equal([]);
  });

  it("sns-kms-encryption: requires a customer-managed key", async () => {
    const topic = (k?: string) => spec("aws:sns/topic:Topic", "alerts", { kmsMasterKeyId: k, tags });
    expect(await violationsOf("sns-kms-encryption", [topic(keyArn)])).to.deep.equal([]);
    expect((await violationsOf("sns-kms-encryption", [topic("alias/aws/sns")]))[0].message).to.equal(
      'SNS topic "alerts" is not encrypted with a customer-managed KMS key. Set `kmsMasterKeyId: <CMK ARN>`.',
    );
  });

  it("firehose-encryption: requires CMK SSE on the stream and a KMS key on its S3 destination", async () => {
    const stream = (sse: unknown, s3: unknown) =>
      spec("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "ingest", {
        serverSideEncryption: sse,
        extendedS3Configuration: s3,
        tags,
      });
    const good = stream({ enabled: true, keyType: "CUSTOMER_MANAGED_CMK", keyArn }, { kmsKeyArn: keyArn });
    expect(await violationsOf("firehose-encryption", [good])).to.deep.equal([]);
    const v = await violationsOf("firehose-encryption", [
      stream({ enabled: true, keyType: "AWS_OWNED_CMK" }, {}),
    ]);
    expect(v[0].message).to.equal(
      'Firehose stream "ingest" is not fully encrypted with a customer-managed key: set `serverSideEncryption: { enabled: true, keyType: "CUSTOMER_MANAGED_CMK", keyArn: <CMK ARN> }`; set `kmsKeyArn: <CMK ARN>` on its S3 destination configuration.',
    );
  });

  const workgroup = (configuration: unknown) =>
    spec("aws:athena/workgroup:Workgroup", "lethe", { configuration, tags });
  const results = { encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: keyArn } };

  it("athena-workgroup-enforced: rejects a workgroup clients may override", async () => {
    expect(
      await violationsOf("athena-workgroup-enforced", [workgroup({ enforceWorkgroupConfiguration: true })]),
    ).to.deep.equal([]);
    const v = await violationsOf("athena-workgroup-enforced", [
      workgroup({ enforceWorkgroupConfiguration: false }),
    ]);
    expect(v[0].message).to.equal(
      'Athena workgroup "lethe" does not enforce its configuration: clients may override the result location and encryption. Set `configuration: { enforceWorkgroupConfiguration: true, ... }`.',
    );
    expect(await violationsOf("athena-workgroup-enforced", [workgroup(undefined)])).to.have.length(1);
  });

  it("athena-results-encrypted: requires KMS encryption of results", async () => {
    expect(
      await violationsOf("athena-results-encrypted", [workgroup({ resultConfiguration: results })]),
    ).to.deep.equal([]);
    const v = await violationsOf("athena-results-encrypted", [
      workgroup({ resultConfiguration: { encryptionConfiguration: { encryptionOption: "SSE_S3" } } }),
    ]);
    expect(v[0].message).to.equal(
      'Athena workgroup "lethe" does not encrypt query results with a KMS key (found SSE_S3). Set `configuration.resultConfiguration.encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: <CMK ARN> }`.',
    );
  });

  it("glue-catalog-encryption: requires SSE-KMS at rest and encrypted connection passwords", async () => {
    const settings = (s: unknown) =>
      spec("aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings", "catalog", {
        dataCatalogEncryptionSettings: s,
      });
    const good = {
      encryptionAtRest: { catalogEncryptionMode: "SSE-KMS", sseAwsKmsKeyId: keyArn },
      connectionPasswordEncryption: { returnConnectionPasswordEncrypted: true, awsKmsKeyId: keyArn },
    };
    expect(await violationsOf("glue-catalog-encryption", [settings(good)])).to.deep.equal([]);
    const v = await violationsOf("glue-catalog-encryption", [
      settings({ ...good, encryptionAtRest: { catalogEncryptionMode: "DISABLED" } }),
    ]);
    expect(v[0].message).to.equal(
      'Glue Data Catalog encryption settings "catalog" leaves the Data Catalog partly unencrypted: set `encryptionAtRest: { catalogEncryptionMode: "SSE-KMS", sseAwsKmsKeyId: <CMK ARN> }`.',
    );
  });

  it("kms-key-rotation: requires rotation on symmetric keys only", async () => {
    const key = (props: Record<string, unknown>) => spec("aws:kms/key:Key", "cmk", { tags, ...props });
    expect(await violationsOf("kms-key-rotation", [key({ enableKeyRotation: true })])).to.deep.equal([]);
    expect((await violationsOf("kms-key-rotation", [key({})]))[0].message).to.equal(
      'KMS key "cmk" does not rotate its key material. Set `enableKeyRotation: true`.',
    );
    expect(
      await violationsOf("kms-key-rotation", [key({ customerMasterKeySpec: "RSA_2048" })]),
    ).to.deep.equal([]);
  });

  const logGroup = (props: Record<string, unknown>) =>
    spec("aws:cloudwatch/logGroup:LogGroup", "logs", { name: "/aws/lambda/x", tags, ...props });

  it("log-group-retention: requires a retention no longer than the configured maximum", async () => {
    expect(await violationsOf("log-group-retention", [logGroup({ retentionInDays: 90 })])).to.deep.equal([]);
    expect(
      (await violationsOf("log-group-retention", [logGroup({ retentionInDays: 0 })]))[0].message,
    ).to.equal('CloudWatch log group "logs" keeps logs forever. Set `retentionInDays` (e.g. 90).');
    const v = await violationsOf("log-group-retention", [logGroup({ retentionInDays: 365 })], {
      maxRetentionDays: 90,
    });
    expect(v[0].message).to.equal(
      'CloudWatch log group "logs" keeps logs 365 days, more than the 90 allowed. Lower `retentionInDays`.',
    );
  });

  it("log-group-kms: requires a customer-managed key", async () => {
    expect(await violationsOf("log-group-kms", [logGroup({ kmsKeyId: keyArn })])).to.deep.equal([]);
    expect((await violationsOf("log-group-kms", [logGroup({})]))[0].message).to.match(
      /^CloudWatch log group "logs" is not encrypted with a customer-managed KMS key\. Set `kmsKeyId: <CMK ARN>`/,
    );
  });
});
