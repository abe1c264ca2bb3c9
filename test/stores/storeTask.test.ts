// runStoreTask on its own: whatever text a store or subsystem answers with, no subject's ID reaches
// the reply or the owner's alert.
import { expect } from "chai";
import { redactIds, runStoreTask } from "../../runtime/stores/storeTask";
import { OwnerAlert } from "../../runtime/stores/ownerAlert";

describe("stores: the task runner", () => {
  it("redacts the batch's IDs from a subsystem's failure reason, in the reply and the alert", async () => {
    const alerts: OwnerAlert[] = [];
    const reply = await runStoreTask(
      {
        store: {
          name: "crm",
          kind: "subsystem",
          owner: "crm@example.com",
          url: "https://crm.example.com",
          mode: "sync",
          signingSecret: "s",
        },
        readIds: async () => [["cust-771"], ["cust-772"]],
        sendAlert: async (a) => void alerts.push(a),
        subsystem: {
          submit: async () => ({
            status: "NEEDS_ATTENTION",
            reason: "answered failed (HTTP 422): unknown customer cust-772",
          }),
          poll: async () => ({ status: "PENDING" }),
        },
      },
      { batchId: "b1", action: "submit", manifest: { bucket: "b", key: "k" }, store: "crm" },
    );
    expect(reply.reason).to.equal("answered failed (HTTP 422): unknown customer [subject id]");
    expect(alerts).to.have.length(1);
    expect(alerts[0].message).to.include("Reason: answered failed (HTTP 422): unknown customer [subject id]");
    expect(JSON.stringify([reply, alerts])).to.not.include("cust-77");
  });

  it("redactIds replaces every occurrence and leaves other text alone", () => {
    expect(redactIds("a1 and a1, not a2", ["a1", "zz"])).to.equal("[subject id] and [subject id], not a2");
  });
});
