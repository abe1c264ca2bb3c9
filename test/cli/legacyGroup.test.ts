// registerLegacyGroup: a group still in the old style (usage text + run(args)) runs under commander
// with its own arguments untouched, and answers --help with its usage, until it is ported.
import { expect } from "chai";
import { Command } from "commander";
import { actionExitCode, CommandGroup, registerLegacyGroup } from "../../cli/command";
import { captureStdout } from "../support/captureStdout";

describe("cli: legacy command groups", () => {
  const seen: string[][] = [];
  const group: CommandGroup = {
    usage: "lethe old go --x <v>\n    does the old thing",
    async run(args) {
      seen.push(args);
      return 1;
    },
  };
  const program = () => {
    const p = new Command("lethe").exitOverride();
    registerLegacyGroup(p, "old", "the old thing", () => group);
    return p;
  };

  it("passes every argument after the command name to the group, and returns its exit code", async () => {
    await program().parseAsync(["old", "go", "--x", "1", "--y=2", "extra"], { from: "user" });
    expect(seen.at(-1)).to.deep.equal(["go", "--x", "1", "--y=2", "extra"]);
    expect(actionExitCode()).to.equal(1);
  });

  it("answers --help with the group's usage and examples, exit 0", async () => {
    const { output } = await captureStdout(() => program().parseAsync(["old", "--help"], { from: "user" }));
    const out = output.join("");
    expect(out).to.match(/^Usage: lethe old \[arguments\]\n\nlethe old go --x <v>/);
    expect(out).to.include("Examples:\n  $ lethe old go --x <v>");
    expect(actionExitCode()).to.equal(0);
  });
});
