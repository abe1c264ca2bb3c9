// Stack-wide rules: the GDPR classification tag, and nothing public.
import { expect } from "chai";
import { violationsOf } from "./evaluate";
import { all, queue, secureBucket, spec, table, tags } from "./shapes";

describe("policies: stack-wide", () => {
  it("gdpr-tag-required: every data resource says true or false; exemptions by name and type", async () => {
    expect(
      await violationsOf("gdpr-tag-required", [table("t"), queue("q", { tags: { gdpr: "false" } })]),
    ).to.deep.equal([]);
    const v = await violationsOf("gdpr-tag-required", [
      table("t", { tags: { project: "x" } }),
      queue("q", { tags: { gdpr: "yes" } }),
    ]);
    expect(v.map((x) => x.message)).to.deep.equal([
      'DynamoDB table "t" does not carry the GDPR tag "gdpr" set to "true" or "false". Add `tags: { gdpr: "true" }` (letheTags() does), or exempt it in the rule\'s config.',
      'SQS queue "q" does not carry the GDPR tag "gdpr" (found "yes") set to "true" or "false". Add `tags: { gdpr: "true" }` (letheTags() does), or exempt it in the rule\'s config.',
    ]);
    const untagged = [table("t", { tags: undefined }), queue("q", { tags: undefined })];
    expect(
      await violationsOf("gdpr-tag-required", untagged, {
        exemptResources: ["t"],
        exemptTypes: ["aws:sqs/queue:Queue"],
      }),
    ).to.deep.equal([]);
    expect(await violationsOf("gdpr-tag-required", [table("t")], { gdprTagKey: "pii" })).to.have.length(1);
  });

  it("no-public-data-resources: flags open bucket, topic, queue and table policies and public ACLs", async () => {
    const open = (sid: string) =>
      JSON.stringify({
        Statement: [{ Sid: sid, Effect: "Allow", Principal: "*", Action: "*", Resource: "*" }],
      });
    const parts = secureBucket("lake");
    expect(await violationsOf("no-public-data-resources", all(parts))).to.deep.equal([]);
    parts.policy.props.policy = open("PublicRead");
    const topic = spec("aws:sns/topic:Topic", "alerts", { arn: "arn:aws:sns:eu-west-1:1:alerts", tags });
    const topicPolicy = spec(
      "aws:sns/topicPolicy:TopicPolicy",
      "alerts-policy",
      { arn: topic.props.arn, policy: open("Anyone") },
      { arn: [topic] },
    );
    const q = queue("q");
    const queuePolicy = spec(
      "aws:sqs/queuePolicy:QueuePolicy",
      "q-policy",
      { queueUrl: q.props.url, policy: open("AnyoneQ") },
      { queueUrl: [q] },
    );
    const t = table("t", { arn: "arn:aws:dynamodb:eu-west-1:1:table/t" });
    const tablePolicy = spec("aws:dynamodb/resourcePolicy:ResourcePolicy", "t-policy", {
      resourceArn: t.props.arn,
      policy: open("AnyoneT"),
    });
    const aclBucket = spec("aws:s3/bucket:Bucket", "site", { acl: "public-read", tags });
    const v = await violationsOf("no-public-data-resources", [
      ...all(parts),
      topic,
      topicPolicy,
      q,
      queuePolicy,
      t,
      tablePolicy,
      aclBucket,
    ]);
    expect(v.map((x) => x.message)).to.deep.equal([
      'S3 bucket "lake" is public: BucketPolicy "lake-tls-only" allows Principal "*" (PublicRead). Remove the grant, or add a condition restricting it to your account or VPC.',
      'DynamoDB table "t" is public: ResourcePolicy "t-policy" allows Principal "*" (AnyoneT). Remove the grant, or add a condition restricting it to your account or VPC.',
      'SNS topic "alerts" is public: TopicPolicy "alerts-policy" allows Principal "*" (Anyone). Remove the grant, or add a condition restricting it to your account or VPC.',
      'SQS queue "q" is public: QueuePolicy "q-policy" allows Principal "*" (AnyoneQ). Remove the grant, or add a condition restricting it to your account or VPC.',
      'S3 bucket "site" is public: its ACL is "public-read". Remove the grant, or add a condition restricting it to your account or VPC.',
    ]);
  });

  it("no-public-data-resources: an Allow to everyone narrowed by a condition is not public", async () => {
    const topic = spec("aws:sns/topic:Topic", "alerts", { arn: "arn:aws:sns:eu-west-1:1:alerts", tags });
    const policy = JSON.stringify({
      Statement: [
        {
          Effect: "Allow",
          Principal: "*",
          Action: "sns:Publish",
          Resource: "*",
          Condition: { StringEquals: { "aws:SourceAccount": "1" } },
        },
      ],
    });
    const topicPolicy = spec(
      "aws:sns/topicPolicy:TopicPolicy",
      "p",
      { arn: topic.props.arn, policy },
      { arn: [topic] },
    );
    expect(await violationsOf("no-public-data-resources", [topic, topicPolicy])).to.deep.equal([]);
  });
});
