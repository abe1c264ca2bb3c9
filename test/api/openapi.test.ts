// The OpenAPI document: the committed docs/openapi.json is what the route table generates, it
// documents every route the API function dispatches, and the validator the API uses reads its schemas
// as written (a request the document allows passes, one it forbids is refused naming the field).
import { expect } from "chai";
import * as fs from "node:fs";
import { openApiDocument } from "../../runtime/api/openapi";
import { routes } from "../../runtime/api/routes";
import { maxRequestIds } from "../../runtime/contracts/requests";
import { findRoute } from "../../runtime/api/router";
import { schemaViolation } from "../../runtime/api/schema";
import { ApiError } from "../../runtime/api/errors";
import { openApiFile } from "../../scripts/openApiFile";

describe("HTTP API: the OpenAPI document", () => {
  it("is committed exactly as the route table generates it (npx ts-node scripts/openApiFile.ts)", () => {
    expect(JSON.parse(fs.readFileSync(openApiFile, "utf8"))).to.deep.equal(openApiDocument());
  });

  it("documents every route with its success and error statuses, errors as {code, message}", () => {
    const doc = openApiDocument() as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    for (const r of routes) {
      const op = doc.paths[r.path][r.method.toLowerCase()];
      expect(Object.keys(op.responses).map(Number).sort()).to.deep.equal(
        [r.success.status, ...r.errors].sort(),
      );
    }
    expect(Object.keys(doc.paths).sort()).to.deep.equal([...new Set(routes.map((r) => r.path))].sort());
  });

  it("dispatches a path to its route, a literal segment before a parameter, else 404 or 405", () => {
    expect(findRoute("GET", "/requests").route.operationId).to.equal("listRequests");
    expect(findRoute("GET", "/requests/r-1")).to.deep.include({ params: { id: "r-1" } });
    expect(findRoute("POST", "/batches/b%2D1/reject").params).to.deep.equal({ id: "b-1" });
    expect(() => findRoute("PUT", "/requests/r-1")).to.throw(ApiError, /use GET/);
    expect(() => findRoute("GET", "/requests/r-1/extra")).to.throw(ApiError, /no such route/);
  });

  it("checks bodies against the route's schema, naming the field and never echoing a value", () => {
    const body = routes.find((r) => r.operationId === "fileRequest")!.body!.schema;
    expect(schemaViolation(body, { customerIds: ["1001", ["a", "b"]], reason: "portal" })).to.equal(
      undefined,
    );
    expect(schemaViolation(body, {})).to.equal("customerIds is required");
    expect(schemaViolation(body, { customerIds: ["ok", 7] })).to.match(
      /^customerIds\[1\] must be a customer ID/,
    );
    expect(schemaViolation(body, { customerIds: ["ok"], reason: "" })).to.equal("reason must not be empty");
    expect(schemaViolation(body, { customerIds: Array(maxRequestIds + 1).fill("x") })).to.match(
      new RegExp(`at most ${maxRequestIds} items`),
    );
    expect(schemaViolation(body, { customerIds: ["secret-1"], extra: 1 })).to.equal(
      "extra is not a known field",
    );
  });
});
