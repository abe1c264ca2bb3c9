// Bad options and keys are refused with an error naming the problem; keys never appear in clear.
import { expect } from "chai";
import { makeDynamoDbClient } from "../../runtime/aws/clients";
import { LockConfigError, MutexClient, MutexKey } from "../../runtime/lock";

describe("lock: options and keys", () => {
  const ddb = makeDynamoDbClient();

  it("applies the seed's defaults", () => {
    const o = new MutexClient({ dynamoDbClient: ddb }).options;
    expect(o).to.include({
      pkName: "pk",
      skName: "sk",
      ttlName: "ttl",
      tableName: "distributedMutex",
      leaseMs: 30_000,
      autoRenew: false,
      refreshWaitMs: 1000,
      maxTimeoutMs: 60_000,
      clockSkewMs: 1000,
    });
    expect(o.clientName, "a unique default owner").to.match(/-\d+-[0-9a-f]{8}$/);
  });

  for (const [options, problem] of [
    [{ defaultLeaseDuration: 0 }, /defaultLeaseDuration must be a number of seconds >= 0.1/],
    [{ refreshWaitTime: -1 }, /refreshWaitTime/],
    [{ maxTimeout: Number.NaN }, /maxTimeout/],
    [{ clockSkewAllowance: -0.5 }, /clockSkewAllowance/],
    [{ tableName: " " }, /tableName must be a non-empty string/],
    [{ pkName: "ttl" }, /three different attribute names/],
  ] as const) {
    it(`refuses ${Object.entries(options).map(([k, v]) => `${k}: ${String(v)}`)}`, () => {
      expect(() => new MutexClient({ dynamoDbClient: ddb, ...options })).to.throw(LockConfigError, problem);
    });
  }

  it("refuses empty and oversized keys, and shows keys only as a hash", () => {
    expect(() => new MutexKey("")).to.throw(LockConfigError, /partitionKey must be a non-empty string/);
    expect(() => new MutexKey("a", "")).to.throw(LockConfigError, /sortKey/);
    expect(() => new MutexKey("x".repeat(2049))).to.throw(
      LockConfigError,
      /2049 bytes; DynamoDB allows at most 2048/,
    );
    const key = new MutexKey("customer-4711");
    expect(key.sortKey).to.equal("lock");
    expect(key.hash).to.match(/^[0-9a-f]{16}$/);
    expect(`${key}`).to.equal(`MutexKey(${key.hash})`);
    expect(new MutexKey("customer-4711").hash).to.equal(key.hash);
    expect(new MutexKey("customer-4711", "other").hash).to.not.equal(key.hash);
  });
});
