// DynamoDB rules: a compliant table passes; each missing safeguard is named with its fix.
import { expect } from "chai";
import { violationsOf } from "./evaluate";
import { table } from "./shapes";

describe("policies: DynamoDB", () => {
  it("dynamodb-ttl-enabled: accepts TTL on a named attribute, rejects a table without TTL", async () => {
    expect(await violationsOf("dynamodb-ttl-enabled", [table("requests")])).to.deep.equal([]);
    const v = await violationsOf("dynamodb-ttl-enabled", [table("requests", { ttl: undefined })]);
    expect(v.map((x) => x.message)).to.deep.equal([
      'DynamoDB table "requests" has no TTL: items holding personal data never expire. Set `ttl: { attributeName: "ttl", enabled: true }` and write an epoch-seconds expiry on each item.',
    ]);
    const disabled = await violationsOf("dynamodb-ttl-enabled", [
      table("t", { ttl: { attributeName: "ttl", enabled: false } }),
    ]);
    expect(disabled).to.have.length(1);
  });

  it("dynamodb-ttl-enabled: enforces the configured attribute name", async () => {
    const v = await violationsOf(
      "dynamodb-ttl-enabled",
      [table("t", { ttl: { attributeName: "expiresAt", enabled: true } })],
      {
        ttlAttributeName: "ttl",
      },
    );
    expect(v[0].message).to.contain('expires items on "expiresAt" but this pack expects "ttl"');
  });

  it("dynamodb-cmk-encryption: rejects the AWS-owned key and alias/aws/dynamodb", async () => {
    expect(await violationsOf("dynamodb-cmk-encryption", [table("t")])).to.deep.equal([]);
    for (const sse of [undefined, { enabled: true }, { enabled: true, kmsKeyArn: "alias/aws/dynamodb" }]) {
      const v = await violationsOf("dynamodb-cmk-encryption", [table("t", { serverSideEncryption: sse })]);
      expect(v.map((x) => x.message)).to.deep.equal([
        'DynamoDB table "t" is not encrypted with a customer-managed KMS key (it uses the AWS-owned key). Set `serverSideEncryption: { enabled: true, kmsKeyArn: <your CMK\'s ARN> }`.',
      ]);
    }
  });

  it("dynamodb-point-in-time-recovery: rejects a table without PITR", async () => {
    expect(await violationsOf("dynamodb-point-in-time-recovery", [table("t")])).to.deep.equal([]);
    const v = await violationsOf("dynamodb-point-in-time-recovery", [
      table("t", { pointInTimeRecovery: undefined }),
    ]);
    expect(v[0].message).to.equal(
      'DynamoDB table "t" has point-in-time recovery off. Set `pointInTimeRecovery: { enabled: true }`.',
    );
  });

  it("skips tables tagged gdpr=false, exempted ones, and honours another GDPR tag key", async () => {
    const bare = { ttl: undefined };
    expect(
      await violationsOf("dynamodb-ttl-enabled", [table("t", { ...bare, tags: { gdpr: "false" } })]),
    ).to.deep.equal([]);
    expect(
      await violationsOf("dynamodb-ttl-enabled", [table("t", bare)], { exemptResources: ["t"] }),
    ).to.deep.equal([]);
    const other = table("t", { ...bare, tags: { gdpr: "false", "pii:class": "personal" } });
    expect(await violationsOf("dynamodb-ttl-enabled", [other], { gdprTagKey: "pii:class" })).to.have.length(
      1,
    );
    // Untagged counts as personal data (fail closed).
    expect(
      await violationsOf("dynamodb-ttl-enabled", [table("t", { ...bare, tags: undefined })]),
    ).to.have.length(1);
  });
});
