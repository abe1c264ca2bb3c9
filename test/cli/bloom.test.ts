// `lethe bloom build|check` as a user runs it: the real entry point in a child process.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const bin = path.resolve(__dirname, "../../bin/lethe");

function lethe(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("cli: lethe bloom", () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-bloom-"));
    fs.writeFileSync(
      path.join(dir, "ids.txt"),
      Array.from({ length: 2000 }, (_, i) => `cust-${i}`).join("\n") + "\n",
    );
    fs.writeFileSync(path.join(dir, "query.txt"), "cust-7\r\nsomeone-else\ncust-1999\nnobody\n");
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("builds a filter and prints items, bits, hashes and bytes", () => {
    const r = lethe(
      "bloom",
      "build",
      "--ids",
      path.join(dir, "ids.txt"),
      "--fpr",
      "0.0001",
      "--out",
      path.join(dir, "f.bloom"),
    );
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/^items: 2000$/m);
    expect(r.out).to.match(/^bits: 38368$/m);
    expect(r.out).to.match(/^hashes: 13$/m);
    expect(r.out).to.match(/^bytes: 4828$/m);
    expect(fs.statSync(path.join(dir, "f.bloom")).size).to.equal(4828);
  });

  it("checks IDs, ending with 'possibly present: N of M', and lists them with --list", () => {
    const r = lethe(
      "bloom",
      "check",
      "--filter",
      path.join(dir, "f.bloom"),
      "--ids",
      path.join(dir, "query.txt"),
    );
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.equal("possibly present: 2 of 4\n");
    const listed = lethe(
      "bloom",
      "check",
      "--filter",
      path.join(dir, "f.bloom"),
      "--ids",
      path.join(dir, "query.txt"),
      "--list",
    );
    expect(listed.out).to.equal("cust-7\ncust-1999\npossibly present: 2 of 4\n");
  });

  it("reports as JSON on stdout with --json", () => {
    const built = lethe(
      "bloom",
      "build",
      "--ids",
      path.join(dir, "ids.txt"),
      "--fpr=0.0001",
      "--out",
      path.join(dir, "g.bloom"),
      "--json",
    );
    expect(built.code, built.err).to.equal(0);
    expect(JSON.parse(built.out)).to.include({ items: 2000, bits: 38368, hashes: 13, bytes: 4828 });
    const checked = lethe(
      "bloom",
      "check",
      "--filter",
      path.join(dir, "g.bloom"),
      "--ids",
      path.join(dir, "query.txt"),
      "--list",
      "--json",
    );
    expect(checked.code, checked.err).to.equal(0);
    expect(JSON.parse(checked.out)).to.deep.equal({
      checked: 4,
      possiblyPresent: 2,
      ids: ["cust-7", "cust-1999"],
    });
  });

  it("checks IDs given as a JSON list (--ids-json) the same way", () => {
    const json = path.join(dir, "query.json");
    fs.writeFileSync(json, JSON.stringify(["cust-7", "someone-else", "cust-1999", "nobody"]));
    const r = lethe("bloom", "check", "--filter", path.join(dir, "f.bloom"), "--ids-json", json);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.equal("possibly present: 2 of 4\n");
  });

  it("exits 2 with a message naming the problem on bad input", () => {
    const ids = path.join(dir, "ids.txt");
    const cases: [string[], RegExp][] = [
      [
        [
          "bloom",
          "build",
          "--ids",
          path.join(dir, "missing.txt"),
          "--fpr",
          "0.01",
          "--out",
          path.join(dir, "x"),
        ],
        /cannot read ID file .*missing\.txt': no such file/,
      ],
      [
        ["bloom", "build", "--ids", ids, "--fpr", "1", "--out", path.join(dir, "x")],
        /--fpr must be a number between 0 and 1 \(exclusive\), got '1'/,
      ],
      [
        ["bloom", "build", "--ids", ids, "--fpr", "abc", "--out", path.join(dir, "x")],
        /--fpr must be a number/,
      ],
      [
        ["bloom", "build", "--ids", ids, "--out", path.join(dir, "x")],
        /required option '--fpr <rate>' not specified/,
      ],
      [["bloom", "check", "--filter", ids, "--ids", ids], /ids\.txt: not a Lethe bloom filter/],
      [["bloom", "check", "--filter", path.join(dir, "nope.bloom"), "--ids", ids], /cannot read filter/],
      [["bloom", "frobnicate"], /unknown command 'frobnicate'/],
      [["bloom", "check", "--filter"], /option '--filter <file>' argument missing/],
    ];
    const blank = path.join(dir, "blank.txt");
    fs.writeFileSync(blank, "cust-7\n\ncust-8\n");
    cases.push([
      ["bloom", "check", "--filter", path.join(dir, "f.bloom"), "--ids", blank],
      /blank\.txt: line 2 is blank/,
    ]);
    const corrupt = fs.readFileSync(path.join(dir, "f.bloom"));
    corrupt[100] ^= 1;
    fs.writeFileSync(path.join(dir, "corrupt.bloom"), corrupt);
    cases.push([
      ["bloom", "check", "--filter", path.join(dir, "corrupt.bloom"), "--ids", ids],
      /corrupt\.bloom: checksum mismatch/,
    ]);
    for (const [args, message] of cases) {
      const r = lethe(...args);
      expect(r.code, args.join(" ")).to.equal(2);
      expect(r.err, args.join(" ")).to.match(message);
    }
  });
});
