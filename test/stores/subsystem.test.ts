// External subsystems against a local HTTP test double: sync, async finishing after a few polls,
// always failing, never finishing before a short deadline, a bad signature rejected, a rotated
// secret read again, and an unreachable endpoint retried by submitting again (idempotently).
import { expect } from "chai";
import { makeSecretsManagerClient } from "../../runtime/aws/clients";
import { SubsystemStoreConfig, validateStore } from "../../runtime/contracts/stores";
import { secretReader } from "../../runtime/stores/secrets";
import { signingInput, signRequest, subsystemClient } from "../../runtime/stores/subsystem";
import { putSecret } from "../../local/fixtures/storeFixtures";
import { DoubleBehaviour, startSubsystemDouble, SubsystemDouble } from "../support/subsystemDouble";

describe("stores: external subsystems", () => {
  const sm = makeSecretsManagerClient();
  const run = Date.now().toString(36);
  const secretName = `lethe-test/subsystem-${run}`;
  const secret = "s3cr3t-signing-key";
  const ids = ["c1", "c2", "c3"];
  let doubles: SubsystemDouble[] = [];

  before(async () => putSecret(sm, secretName, secret));
  afterEach(async () => {
    await Promise.all(doubles.map((d) => d.close()));
    doubles = [];
  });

  const start = async (behaviour: DoubleBehaviour, doubleSecret = secret) => {
    const d = await startSubsystemDouble({ behaviour, secret: doubleSecret, pollsUntilDone: 2 });
    doubles.push(d);
    return d;
  };
  const config = (
    url: string,
    mode: "sync" | "async",
    over: Partial<SubsystemStoreConfig> = {},
  ): SubsystemStoreConfig => ({
    name: "crm",
    kind: "subsystem",
    owner: "crm-team@example.com",
    url,
    mode,
    signingSecret: secretName,
    timeoutMs: 2000,
    ...over,
  });
  const call = { batchId: "b1", requestId: "req-1", fencingToken: 3 };

  it("signs method, path, timestamp and body with HMAC-SHA256", () => {
    expect(signingInput("post", "/erasures", "1700000000", "{}")).to.equal("POST\n/erasures\n1700000000\n{}");
    // Reference: printf 'POST\n/erasures\n1700000000\n{}' | openssl dgst -sha256 -hmac key
    expect(signRequest("key", "POST", "/erasures", "1700000000", "{}")).to.equal(
      "v1=5c5a720b6ffb56cda0224566c59c111542c2be96a2f9f3fb2e3e336ab6c74a0c",
    );
    expect(signRequest("key", "POST", "/erasures", "1700000000", "{}")).to.not.equal(
      signRequest("key", "POST", "/erasures", "1700000001", "{}"),
    );
  });

  it("sync: one call answers done; submitting again with the same key starts no second job", async () => {
    const d = await start("sync");
    const client = subsystemClient(config(d.url, "sync"), secretReader(sm), { allowLoopbackHttp: true });
    expect(await client.submit(call, ids)).to.deep.equal({ status: "COMPLETED", httpStatus: 200, erased: 3 });
    expect(await client.submit(call, ids)).to.include({ status: "COMPLETED" });
    expect(d.jobsCreated).to.equal(1);
    expect(d.jobs.get("req-1")!.subjects, "the IDs travel in the body").to.equal(3);
  });

  it("async: submit is accepted, polls answer pending, then done", async () => {
    const d = await start("async");
    const client = subsystemClient(config(d.url, "async"), secretReader(sm), { allowLoopbackHttp: true });
    expect(await client.submit(call, ids)).to.include({
      status: "PENDING",
      nextAction: "poll",
      httpStatus: 202,
    });
    expect(await client.poll(call)).to.include({ status: "PENDING", nextAction: "poll" });
    expect(await client.poll(call)).to.include({ status: "PENDING", nextAction: "poll" });
    expect(await client.poll(call)).to.include({ status: "COMPLETED", erased: 3 });
    expect(d.jobs.get("req-1")!.polls).to.equal(3);
  });

  it("a subsystem that always fails needs attention, with its reason", async () => {
    const d = await start("failing");
    for (const mode of ["sync", "async"] as const) {
      const client = subsystemClient(config(d.url, mode), secretReader(sm), { allowLoopbackHttp: true });
      const out = await client.submit({ ...call, requestId: `req-${mode}` }, ids);
      expect(out.status).to.equal("NEEDS_ATTENTION");
      expect(out.reason).to.equal("answered failed (HTTP 422): the test double always fails");
    }
  });

  it("an async subsystem not done by the deadline needs attention; before it, it stays pending", async () => {
    const d = await start("never");
    let clock = Date.now();
    const deadline = new Date(clock + 60_000).toISOString();
    const client = subsystemClient(config(d.url, "async"), secretReader(sm), {
      allowLoopbackHttp: true,
      now: () => clock,
    });
    expect(await client.submit({ ...call, deadline }, ids)).to.include({
      status: "PENDING",
      nextAction: "poll",
    });
    expect(await client.poll({ ...call, deadline })).to.include({ status: "PENDING" });
    clock += 61_000;
    const late = await client.poll({ ...call, deadline });
    expect(late.status).to.equal("NEEDS_ATTENTION");
    expect(late.reason).to.equal(`not done by the deadline ${deadline} (last answer: still pending)`);
  });

  it("the double rejects a bad signature; Lethe reads the secret again once, then needs attention", async () => {
    const d = await start("sync", "the-subsystem-has-another-secret");
    const client = subsystemClient(config(d.url, "sync"), secretReader(sm), { allowLoopbackHttp: true });
    const out = await client.submit(call, ids);
    expect(out).to.deep.equal({
      status: "NEEDS_ATTENTION",
      httpStatus: 401,
      reason: "refused Lethe's signed request (HTTP 401)",
    });
    expect(d.rejected).to.equal(2);
    expect(d.jobsCreated).to.equal(0);
  });

  it("a rotated signing secret is read again when the subsystem refuses the old one", async () => {
    const name = `lethe-test/subsystem-rotating-${run}`;
    await putSecret(sm, name, "old-key");
    const secrets = secretReader(sm);
    await secrets.get(name);
    await putSecret(sm, name, "new-key");
    const d = await start("sync", "new-key");
    const client = subsystemClient(config(d.url, "sync", { signingSecret: name }), secrets, {
      allowLoopbackHttp: true,
    });
    expect(await client.submit(call, ids)).to.include({ status: "COMPLETED" });
    expect({ rejected: d.rejected, accepted: d.accepted }).to.deep.equal({ rejected: 1, accepted: 1 });
  });

  it("an unreachable endpoint before the deadline is retried by submitting again", async () => {
    const d = await start("sync");
    const url = d.url;
    await d.close();
    doubles = [];
    const client = subsystemClient(config(url, "sync"), secretReader(sm), { allowLoopbackHttp: true });
    const out = await client.submit(call, ids);
    expect(out.status).to.equal("PENDING");
    expect(out.nextAction).to.equal("submit");
    expect(out.reason).to.match(/^cannot reach 127\.0\.0\.1:\d+: ECONNREFUSED$/);
  });

  it("a missing signing secret needs attention with the secret named", async () => {
    const d = await start("sync");
    const client = subsystemClient(
      config(d.url, "sync", { signingSecret: "lethe-test/no-such-secret" }),
      secretReader(sm),
      {
        allowLoopbackHttp: true,
      },
    );
    expect(await client.submit(call, ids)).to.deep.equal({
      status: "NEEDS_ATTENTION",
      reason:
        "secret lethe-test/no-such-secret: does not exist in Secrets Manager (or this function may not read it)",
    });
    expect(d.accepted + d.rejected, "nothing was sent").to.equal(0);
  });

  it("a non-HTTPS URL is refused by config validation and by the client", () => {
    const plain = config("http://crm.example.com/lethe", "sync");
    expect(() => validateStore(plain)).to.throw(
      'store "crm": url must be an https:// URL (requests carry subjects\' IDs and are signed), got "http://crm.example.com/lethe"',
    );
    expect(() => subsystemClient(plain, secretReader(sm), { allowLoopbackHttp: true })).to.throw(
      'store "crm": url must be https://, got http://crm.example.com',
    );
    expect(() => subsystemClient(config("http://127.0.0.1:9", "sync"), secretReader(sm))).to.throw(
      /must be https/,
    );
  });
});
