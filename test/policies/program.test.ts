// The whole Lethe program (createLethe under the shared test mocks) against every rule of the pack:
// no mandatory violation, and the joins really see the program's resources (remove one and it is named).
import { expect } from "chai";
import { buildLetheUnderMocks } from "../support/pulumiMocks";
import { CollectedResource, recordRegistrations } from "../../local/program/mockedRun";
import { evaluate } from "./evaluate";
import { tableShapes } from "../../runtime/contracts/tables";

async function lethe(overrides = {}): Promise<CollectedResource[]> {
  let recorder: ReturnType<typeof recordRegistrations> | undefined;
  await buildLetheUnderMocks(overrides, () => {
    recorder = recordRegistrations();
  });
  return recorder!.resources;
}

describe("policies: the Lethe program", () => {
  let resources: CollectedResource[];
  before(async () => {
    resources = await lethe();
  });

  it("violates no rule of the pack", async () => {
    expect(resources.filter((r) => r.type === "aws:dynamodb/table:Table")).to.have.length(
      Object.keys(tableShapes).length,
    );
    expect(await evaluate(resources)).to.deep.equal([]);
  });

  it("still passes without the account-wide Glue settings and with an e-mail subscription", async () => {
    const other = await lethe({ manageGlueCatalogEncryption: false, alertEmail: "ops@example.com" });
    expect(await evaluate(other)).to.deep.equal([]);
  });

  it("names the lake bucket once its encryption resource is gone, and a table once its TTL is off", async () => {
    const broken = resources
      .filter((r) => r.name !== "lethe-lake-data-encryption")
      .map((r) =>
        r.name === "lethe-tables-locks" ? { ...r, inputs: { ...r.inputs, ttl: { enabled: false } } } : r,
      );
    const v = await evaluate(broken);
    expect(v.map((x) => [x.policy, x.name])).to.deep.equal([
      ["dynamodb-ttl-enabled", "lethe-tables-locks"],
      ["s3-cmk-encryption", "lethe-lake-data"],
    ]);
  });
});
