// What `erase --wait` shows of a batch, from status replies as the status function gives them.
import { expect } from "chai";
import { batchStepOf } from "../../cli/work/batchSteps";

const at = (minute: number) => `2026-12-01T10:${String(minute).padStart(2, "0")}:00.000Z`;

describe("cli/work/batchSteps: the step a batch is at", () => {
  it("is the step started and not ended; forget counts objects done (purged, nothing to do, failed) of those enqueued", () => {
    const status = {
      state: "FORGETTING",
      batch: {
        objectsPurged: 3,
        objectsNothingToDo: 1,
        objectsFailed: 1,
        steps: {
          find: { startedAt: at(1), endedAt: at(2), counts: { objects: 9 } },
          forget: { startedAt: at(3), counts: { objectsEnqueued: 9 } },
        },
      },
    };
    expect(batchStepOf(status)).to.deep.equal({ step: "forget", done: 5, total: 9, text: "objects" });
  });

  it("names the latest started of the steps under way (a store's branch beside the lake's), without counts", () => {
    const status = {
      state: "FORGETTING",
      batch: {
        steps: {
          find: { startedAt: at(1), endedAt: at(2) },
          verify: { startedAt: at(5) },
          profiles: { startedAt: at(4) },
        },
      },
    };
    expect(batchStepOf(status)).to.deep.equal({ step: "verify" });
  });

  it("is none between steps, before the batch, and for a reply without a batch", () => {
    expect(
      batchStepOf({ state: "BATCHED", batch: { steps: { find: { startedAt: at(1), endedAt: at(2) } } } }),
    ).to.equal(undefined);
    expect(batchStepOf({ state: "RECEIVED" })).to.equal(undefined);
    expect(batchStepOf(undefined)).to.equal(undefined);
  });
});
