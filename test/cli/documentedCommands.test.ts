// The commands the README and docs show print on stdout what they say they print: a command shown with
// `--json` through npm carries `-s`, since npm's banner (`> lethe@0.1.0 demo`) would otherwise come
// first on stdout and the JSON would not parse. Checked in the documents, and by running one through npm.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "../..");
const documents = [
  "README.md",
  ...fs
    .readdirSync(path.join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/** Every `npm run …` command shown in `text` (in code spans or code blocks), as written. */
function npmCommands(text: string): string[] {
  return [...text.matchAll(/npm run [^`\n|]*/g)].map((m) => m[0].trim());
}

describe("documented commands: stdout is what they say it is", () => {
  it("every npm command shown with --json keeps npm's banner off stdout (npm run -s)", () => {
    const bad: string[] = [];
    for (const doc of documents) {
      const text = fs.readFileSync(path.join(root, doc), "utf8");
      for (const cmd of npmCommands(text))
        if (/--json\b/.test(cmd) && !/^npm run -s\b/.test(cmd)) bad.push(`${doc}: ${cmd}`);
    }
    expect(bad).to.deep.equal([]);
  });

  it("the README shows how to get the demo's JSON, through npm and directly", () => {
    const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
    expect(readme).to.include("npm run -s demo -- --json");
    expect(readme).to.include("node bin/lethe demo --json");
  });

  it("npm run -s lethe -- … --json prints only JSON on stdout; without -s it would not parse", function () {
    this.timeout(60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-doc-cmd-"));
    try {
      fs.writeFileSync(path.join(dir, "ids.txt"), "cust-1\ncust-2\n");
      const args = ["bloom", "build", "--ids", "ids.txt", "--fpr", "0.01", "--out", "f.bloom", "--json"];
      const run = (npmArgs: string[]) =>
        spawnSync(
          "npm",
          [
            ...npmArgs,
            "--prefix",
            root,
            "lethe",
            "--",
            ...args.map((a) => (a.endsWith(".txt") || a.endsWith(".bloom") ? path.join(dir, a) : a)),
          ],
          {
            encoding: "utf8",
            cwd: root,
          },
        );
      const silent = run(["run", "-s"]);
      expect(silent.status, silent.stderr).to.equal(0);
      expect(JSON.parse(silent.stdout)).to.include({ items: 2 });
      const noisy = run(["run"]);
      expect(noisy.status, noisy.stderr).to.equal(0);
      expect(() => JSON.parse(noisy.stdout)).to.throw();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
