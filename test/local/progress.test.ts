// local/progress.ts: plain lines when the stream is not a terminal (every update, or throttled), and
// cli-progress's bar drawn in place when it is; steps each get their own. (The terminal end to end,
// through a pseudo-TTY, is in localStack.test.ts.)
import { expect } from "chai";
import { PassThrough } from "node:stream";
import { startProgress, stepProgress } from "../../local/progress";

function stream(tty: boolean): { s: NodeJS.WriteStream; text: () => string } {
  const s = new PassThrough() as unknown as NodeJS.WriteStream;
  let text = "";
  (s as unknown as PassThrough).on("data", (d: Buffer) => (text += d.toString()));
  Object.assign(s, { isTTY: tty, columns: 100 });
  return { s, text: () => text };
}

describe("local: progress", () => {
  it("writes one plain line per update when not a terminal, counted when the total is known", async () => {
    const { s, text } = stream(false);
    const p = startProgress("objects", 3, { stream: s });
    p.update(1, "a.parquet");
    p.update(3, "c.parquet");
    p.done("3 purged");
    const counted = startProgress("versions", undefined, { stream: s });
    counted.update(7, "7 version(s)");
    await new Promise((r) => setImmediate(r));
    expect(text()).to.equal(
      "objects: 1/3 a.parquet\nobjects: 3/3 c.parquet\nobjects: 3 purged\nversions: 7 version(s)\n",
    );
  });

  it("throttles plain lines to the interval, always keeping the last", async () => {
    const { s, text } = stream(false);
    const p = startProgress("rows", 100, { stream: s, plainIntervalMs: 60_000 });
    for (let i = 1; i <= 100; i++) p.update(i);
    await new Promise((r) => setImmediate(r));
    expect(text()).to.equal("rows: 1/100\nrows: 100/100\n");
  });

  it("draws a bar in place on a terminal", async () => {
    const { s, text } = stream(true);
    const p = startProgress("objects", 4, { stream: s });
    p.update(2, "b.parquet");
    p.done();
    await new Promise((r) => setImmediate(r));
    expect(text()).to.include("objects [").and.include("2/4 50%").and.include("b.parquet");
    expect(text()).to.include("\u2588").and.include("\x1b[1G");
  });

  it("gives each step its own progress, in order", async () => {
    const { s, text } = stream(false);
    const steps = stepProgress("erase", { stream: s });
    steps.at("find");
    steps.at("forget", 1, 2, "orders/a.parquet");
    steps.at("forget", 2, 2, "orders/b.parquet");
    steps.at("verify");
    steps.done("COMPLETED");
    await new Promise((r) => setImmediate(r));
    expect(text()).to.equal(
      [
        "erase find:",
        "erase forget: 1/2 orders/a.parquet",
        "erase forget: 2/2 orders/b.parquet",
        "erase verify:",
        "erase: COMPLETED",
        "",
      ].join("\n"),
    );
  });
});
