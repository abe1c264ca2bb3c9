// The command line as a user meets it: help on every command (enumerated from the program itself),
// the version, did-you-mean with exit 2, one option grammar (`--x v` and `--x=v`) everywhere, and
// the compiled CLI's build on first use.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildProgram, commandNames } from "../../cli/program";
import { piped } from "./terminal";

const root = path.resolve(__dirname, "../..");

describe("cli: the command line", () => {
  const names = commandNames(buildProgram()).filter((n) => !/(^| )help$/.test(n));

  it("finds the program's commands (the list below is not empty or stale)", () => {
    expect(names).to.include.members([
      "up",
      "requests",
      "invoke",
      "index backfill",
      "bloom build",
      "parquet scan",
    ]);
    expect(names.length).to.be.greaterThan(10);
  });

  it("lethe --help and lethe help exit 0 and list every top-level command", () => {
    for (const args of [["--help"], ["-h"], ["help"]]) {
      const r = piped(args);
      expect(r.code, args.join(" ")).to.equal(0);
      for (const c of buildProgram().commands) expect(r.out).to.match(new RegExp(`^  ${c.name()}\\b`, "m"));
      expect(r.out).to.match(/Exit codes: 0 success; 1 .*; 2 usage error/);
    }
  });

  it("every <command> --help exits 0 with its usage; every runnable command shows examples and exit codes", () => {
    const program = buildProgram();
    const find = (name: string) =>
      name.split(" ").reduce((cmd, part) => cmd.commands.find((c) => c.name() === part)!, program);
    for (const name of names) {
      for (const flag of ["--help", "-h"]) {
        const r = piped([...name.split(" "), flag]);
        expect(r.code, `${name} ${flag}: ${r.err}`).to.equal(0);
        expect(r.out, name).to.match(new RegExp(`^Usage: lethe ${name}\\b`));
        if (find(name).commands.length === 0) {
          expect(r.out, name).to.match(/\nExamples:\n {2}\$ lethe /);
          expect(r.out, name).to.match(/\nExit codes: 0 /);
        }
      }
    }
  });

  it("lethe --version prints the package's version", () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
    for (const flag of ["--version", "-V"]) {
      const r = piped([flag]);
      expect(r.code).to.equal(0);
      expect(r.out).to.equal(`${version}\n`);
    }
  });

  it("a typo'd command or option suggests the right one, exit 2", () => {
    const command = piped(["requets"]);
    expect(command.code).to.equal(2);
    expect(command.err).to.match(/^lethe: unknown command 'requets'\n\(Did you mean requests\?\)/);
    const sub = piped(["bloom", "chek"]);
    expect(sub.code).to.equal(2);
    expect(sub.err).to.match(/Did you mean check\?/);
    const option = piped(["requests", "--jsn"]);
    expect(option.code).to.equal(2);
    expect(option.err).to.match(/unknown option '--jsn'\n\(Did you mean --json\?\)/);
    expect(command.out + sub.out + option.out).to.equal("");
  });

  it("a group without its subcommand shows the group's help, exit 2", () => {
    const r = piped(["index"]);
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/Usage: lethe index/);
    expect(r.err).to.match(/backfill/);
  });

  it("takes `--x v` and `--x=v` alike", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-grammar-"));
    try {
      fs.writeFileSync(path.join(dir, "ids.txt"), "a\nb\nc\n");
      const filter = path.join(dir, "f.bloom");
      const spaced = piped([
        "bloom",
        "build",
        "--ids",
        path.join(dir, "ids.txt"),
        "--fpr",
        "0.01",
        "--out",
        filter,
      ]);
      expect(spaced.code, spaced.err).to.equal(0);
      const inline = piped(["bloom", "check", `--filter=${filter}`, `--ids=${path.join(dir, "ids.txt")}`]);
      expect(inline.code, inline.err).to.equal(0);
      expect(inline.out).to.equal("possibly present: 3 of 3\n");
      const bad = piped([
        "bloom",
        "build",
        `--ids=${path.join(dir, "ids.txt")}`,
        "--fpr=2",
        `--out=${filter}`,
      ]);
      expect(bad.code).to.equal(2);
      expect(bad.err).to.match(/^lethe: --fpr must be a number between 0 and 1/m);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("runs compiled JavaScript: a stale source is rebuilt once, with a line on stderr, then nothing is compiled", () => {
    const source = path.join(root, "cli", "requests.ts");
    const now = new Date();
    fs.utimesSync(source, now, now);
    const first = piped(["--version"]);
    expect(first.code).to.equal(0);
    expect(first.err).to.match(
      /^lethe: compiling the CLI \(1 of \d+ files\) into \.lethe\/build\/ \.\.\. done in /,
    );
    const compiled = path.join(root, ".lethe", "build", "cli", "requests.js");
    expect(fs.statSync(compiled).mtimeMs).to.be.at.least(now.getTime() - 1000);
    const second = piped(["--version"]);
    expect(second.err).to.equal("");
  });
});
