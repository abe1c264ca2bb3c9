// Packaged handlers run in this process with their function's environment for each call; calls
// overlap (a Parallel state's branches, purge workers), and none may leave its environment behind.
import { expect } from "chai";
import { withEnvironment } from "../../local/program/packaging";

const later = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("local/program/packaging: a packaged call's environment", () => {
  const name = "LETHE_TEST_OVERLAP";
  const kept = "LETHE_TEST_KEPT";
  afterEach(() => {
    delete process.env[name];
    delete process.env[kept];
  });

  it("overlapping calls leave the environment as it was before the first, whichever ends last", async () => {
    process.env[kept] = "caller";
    const seen: (string | undefined)[] = [];
    const first = withEnvironment({ [name]: "first", [kept]: "first" }, async () => {
      await later(30);
      seen.push(process.env[name]);
    });
    const second = withEnvironment({ [name]: "second" }, async () => {
      await later(60);
      seen.push(process.env[name]);
    });
    await Promise.all([first, second]);
    // While the second ran, the first's end restored nothing under it.
    expect(seen).to.deep.equal(["second", "second"]);
    expect(process.env[name]).to.equal(undefined);
    expect(process.env[kept]).to.equal("caller");
  });

  it("restores after a call that throws, at once or later", async () => {
    expect(() =>
      withEnvironment({ [name]: "x" }, () => {
        throw new Error("at once");
      }),
    ).to.throw("at once");
    expect(process.env[name]).to.equal(undefined);
    await withEnvironment({ [name]: "y" }, () => Promise.reject(new Error("later"))).catch(() => undefined);
    expect(process.env[name]).to.equal(undefined);
  });
});
