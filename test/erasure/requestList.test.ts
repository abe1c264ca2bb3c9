// runtime/erasure/requestList.ts against the emulator's requests table (byStatus index): every state
// found, open ones only with `open`, days left on the clock, overdue first; and `lethe requests` as a
// user runs it, piped (--json) and as a table, with the stack given by its outputs file.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { makeDocumentClient } from "../../runtime/aws/clients";
import { listRequests, ListedRequest } from "../../runtime/erasure/requestList";
import { sharedLocalStack } from "../support/localStack";

const dayMs = 86_400_000;
const bin = path.resolve(__dirname, "../../bin/lethe");

describe("erasure: the request listing (lethe requests)", () => {
  const run = randomUUID().slice(0, 8);
  // Today, not a fixed day: the CLI below lists against the real clock, so the fixture's deadlines must
  // be relative to it (a fixed day made "6 overdue" true on one day only).
  const now = new Date();
  const at = (days: number) => new Date(now.getTime() + days * dayMs).toISOString();
  // id suffix, state, deadline in days from now, subjects
  const records: [string, string, number, number | undefined][] = [
    ["due-later", "FINDING", 20, 3],
    ["overdue-most", "AWAITING_APPROVAL", -5.5, 1],
    ["done-past", "COMPLETED", -10, 2],
    ["overdue-less", "NEEDS_ATTENTION", -0.5, 4],
    ["due-soon", "RECEIVED", 1.5, undefined],
    ["cancelled", "CANCELLED", 3, 1],
  ];
  const id = (suffix: string) => `${run}-${suffix}`;
  let table: string;

  before(async () => {
    const stack = await sharedLocalStack();
    table = stack.requestsTable;
    const doc = makeDocumentClient();
    for (const [suffix, status, days, subjectCount] of records) {
      await doc.send(
        new PutCommand({
          TableName: table,
          Item: {
            requestId: id(suffix),
            status,
            receivedAt: at(days - 30),
            deadline: at(days),
            ...(subjectCount === undefined ? {} : { subjectCount }),
            // Never read by the listing.
            subjectHashes: ["h1"],
          },
        }),
      );
    }
  });

  const mine = (listed: ListedRequest[]) => listed.filter((r) => r.requestId.startsWith(`${run}-`));

  it("lists every state, overdue first (most overdue first), then by deadline, with days left", async () => {
    const listed = mine(await listRequests(makeDocumentClient(), table, { now }));
    expect(listed.map((r) => r.requestId)).to.deep.equal(
      ["overdue-most", "overdue-less", "done-past", "due-soon", "cancelled", "due-later"].map(id),
    );
    const by = Object.fromEntries(listed.map((r) => [r.requestId.slice(run.length + 1), r]));
    expect(by["overdue-most"]).to.include({
      status: "AWAITING_APPROVAL",
      daysLeft: -6,
      overdue: true,
      subjectCount: 1,
    });
    expect(by["overdue-less"]).to.include({ daysLeft: -1, overdue: true });
    expect(by["due-soon"]).to.include({ daysLeft: 1, overdue: false });
    expect(by["due-soon"]).to.not.have.property("subjectCount");
    // A finished request's clock has stopped: no days left, never overdue.
    expect(by["done-past"]).to.include({ daysLeft: null, overdue: false });
    expect(by["cancelled"]).to.include({ daysLeft: null, overdue: false });
    expect(JSON.stringify(listed)).to.not.contain("subjectHashes");
  });

  it("with open, only the requests the clock runs for (NEEDS_ATTENTION included)", async () => {
    const listed = mine(await listRequests(makeDocumentClient(), table, { open: true, now }));
    expect(listed.map((r) => r.requestId)).to.deep.equal(
      ["overdue-most", "overdue-less", "due-soon", "due-later"].map(id),
    );
  });

  describe("lethe requests", () => {
    let dir: string;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-requests-"));
      // A deployed stack's outputs (no endpoint): the clients take the AWS environment (the harness's emulator).
      fs.writeFileSync(path.join(dir, "outputs.json"), JSON.stringify({ requestsTable: table }));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const lethe = (...args: string[]) => {
      const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };

    it("prints JSON on stdout with --json (piped), open requests with state, deadline and days left", () => {
      const r = lethe("requests", "--open", "--json", `--stack-outputs=${path.join(dir, "outputs.json")}`);
      expect(r.code, r.err).to.equal(0);
      const body = JSON.parse(r.out) as { open: boolean; requests: ListedRequest[] };
      expect(body.open).to.equal(true);
      const listed = mine(body.requests);
      expect(listed.map((x) => x.requestId)).to.include.members([id("due-later"), id("overdue-less")]);
      expect(listed.map((x) => x.status)).to.not.include.members(["COMPLETED", "CANCELLED"]);
      // Overdue ones come before every request that is not.
      const firstNotOverdue = body.requests.findIndex((x) => !x.overdue);
      expect(body.requests.slice(firstNotOverdue).some((x) => x.overdue)).to.equal(false);
    });

    it("prints a table for people, overdue marked", () => {
      const r = lethe("requests", "--stack-outputs", path.join(dir, "outputs.json"));
      expect(r.code, r.err).to.equal(0);
      const line = r.out.split("\n").find((l) => l.startsWith(id("overdue-most")))!;
      expect(line).to.match(/AWAITING_APPROVAL\s+\S+ \S+\s+\S+ \S+\s+6 overdue\s+1$/);
      expect(r.out.split("\n")[0]).to.match(/^request\s+state\s+received\s+deadline\s+days left\s+subjects$/);
      expect(r.out).to.match(/\d+ request\(s\), \d+ overdue\n$/);
    });

    it("refuses outputs without a requests table, and --stack without the Pulumi CLI, with exit 2", () => {
      fs.writeFileSync(path.join(dir, "other.json"), JSON.stringify({ bucket: "b" }));
      const other = lethe("requests", "--stack-outputs", path.join(dir, "other.json"));
      expect(other.code).to.equal(2);
      expect(other.err).to.match(/^lethe: '.*other\.json' has no requestsTable output/m);
      const r = spawnSync(process.execPath, [bin, "requests", "--stack", "prod"], {
        encoding: "utf8",
        env: { ...process.env, PATH: path.dirname(process.execPath) },
      });
      expect(r.status).to.equal(2);
      expect(r.stderr).to.match(
        /--stack prod reads the stack's outputs with `pulumi stack output --json --stack prod`, but the Pulumi CLI is not on PATH/,
      );
    });

    it("--stack runs `pulumi stack output --json --stack <name>` in the project and uses its outputs", () => {
      // A `pulumi` on PATH that answers as the real one does for this command, and records how it was called.
      const fakeBin = path.join(dir, "bin");
      fs.mkdirSync(fakeBin, { recursive: true });
      const calls = path.join(dir, "calls.txt");
      fs.writeFileSync(
        path.join(fakeBin, "pulumi"),
        `#!/bin/sh\necho "$PWD $*" >> ${calls}\necho '${JSON.stringify({ requestsTable: table })}'\n`,
        { mode: 0o755 },
      );
      const r = spawnSync(process.execPath, [bin, "requests", "--json", "--stack=prod"], {
        encoding: "utf8",
        env: { ...process.env, PATH: `${fakeBin}${path.delimiter}${process.env.PATH}` },
      });
      expect(r.status, r.stderr).to.equal(0);
      expect(mine(JSON.parse(r.stdout).requests)).to.have.length(records.length);
      expect(fs.readFileSync(calls, "utf8").trim()).to.equal(
        `${path.resolve(__dirname, "../..")} stack output --json --stack prod`,
      );
    });
  });
});
