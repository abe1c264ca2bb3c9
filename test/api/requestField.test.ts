// One name for an erasure request's IDs: `customerIds`, in the HTTP API's body as in the console event
// (runtime/erasure/intake.ts). A body with the old name `ids` is refused by a message naming the
// right one, before any function runs.
import { expect } from "chai";
import { createApiRouter, ApiDeps } from "../../runtime/api/router";

describe("the HTTP API's request body: customerIds, and ids refused by name", () => {
  const calls: unknown[] = [];
  const router = createApiRouter({
    call: async (fn, event) => {
      calls.push({ fn, event });
      return { ok: true, reply: { requestId: "r-1", status: "RECEIVED", deadline: "2027-01-01T00:00:00Z" } };
    },
    listRequests: async () => ({ requests: [] }),
    getBatch: async () => undefined,
    openapi: () => ({}),
    listBatches: async () => [],
    operations: async () => {
      throw new Error("not called");
    },
    readReport: async () => undefined,
  } as ApiDeps);
  const post = (body: unknown) =>
    router({
      httpMethod: "POST",
      path: "/requests",
      headers: { "content-type": "application/json" },
      queryStringParameters: null,
      body: JSON.stringify(body),
      isBase64Encoded: false,
    });

  it('refuses {"ids": [...]} with 400, naming "customerIds", and calls nothing', async () => {
    calls.length = 0;
    for (const body of [{ ids: ["c-1"] }, { ids: ["c-1"], customerIds: ["c-1"] }]) {
      const r = await post(body);
      expect(r.statusCode, r.body).to.equal(400);
      expect(JSON.parse(r.body)).to.deep.equal({
        code: "invalid_input",
        message: 'the IDs go in "customerIds"; "ids" is not a field of an erasure request',
      });
    }
    expect(calls).to.deep.equal([]);
  });

  it("passes customerIds on to the request function under the same name", async () => {
    calls.length = 0;
    const r = await post({ customerIds: ["c-1"], reason: "portal" });
    expect(r.statusCode, r.body).to.equal(201);
    expect(calls).to.have.length(1);
    expect((calls[0] as { event: Record<string, unknown> }).event.customerIds).to.deep.equal(["c-1"]);
  });
});
