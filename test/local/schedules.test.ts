// The warm stack's schedules (local/schedules.ts): which rules a mode fires, how often, with what event.
import { expect } from "chai";
import type { LocalSchedule } from "../../runtime/contracts/stack";
import { rateSeconds, startSchedules } from "../../local/schedules";

const schedules: LocalSchedule[] = [
  { rule: "batch", expression: "rate(1 hour)", functionName: "lethe-dev-batch" },
  { rule: "nightly", expression: "cron(0 3 * * ? *)", functionName: "lethe-dev-deadline" },
];

describe("local: schedules of the warm stack", () => {
  it("reads EventBridge rates; a cron expression has none", () => {
    expect(rateSeconds("rate(5 minutes)")).to.equal(300);
    expect(rateSeconds("rate(1 hour)")).to.equal(3600);
    expect(rateSeconds("rate(2 days)")).to.equal(172_800);
    expect(rateSeconds("cron(0/15 * * * ? *)")).to.equal(undefined);
  });

  it("off fires nothing; as-declared fires rates only and says which it does not; fast fires every rule", async () => {
    const fired: { fn: string; event: Record<string, unknown> }[] = [];
    const invoke = async (fn: string, event: unknown) =>
      void fired.push({ fn, event: event as Record<string, unknown> });
    const off = startSchedules(schedules, "off", invoke, { region: "eu-west-1" });
    expect(off.driven).to.deep.equal([]);
    expect(off.notDriven.map((n) => n.rule)).to.deep.equal(["batch", "nightly"]);
    const declared = startSchedules(schedules, "as-declared", invoke, { region: "eu-west-1" });
    expect(declared.driven).to.deep.equal([
      { rule: "batch", functionName: "lethe-dev-batch", everySeconds: 3600 },
    ]);
    expect(declared.notDriven.map((n) => n.rule)).to.deep.equal(["nightly"]);
    declared.stop();
    const fast = startSchedules(schedules, "fast", invoke, { region: "eu-west-1", fastSeconds: 0.2 });
    await new Promise((r) => setTimeout(r, 500));
    fast.stop();
    expect(new Set(fired.map((f) => f.fn))).to.deep.equal(new Set(["lethe-dev-batch", "lethe-dev-deadline"]));
    expect(fired[0].event).to.include({ source: "aws.events", "detail-type": "Scheduled Event" });
    const count = fired.length;
    await new Promise((r) => setTimeout(r, 400));
    expect(fired.length, "stopped").to.equal(count);
  });
});
