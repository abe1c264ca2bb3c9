// The program's version as each report names it (`producedBy.programVersion`): the git commit the
// program was run from, `-dirty` when its tree had changes, `unknown` outside a git checkout.
import { execFileSync } from "node:child_process";

export function programVersion(dir: string = __dirname): string {
  const git = (...args: string[]) =>
    execFileSync("git", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  try {
    const commit = git("rev-parse", "HEAD");
    return git("status", "--porcelain", "--untracked-files=no") === "" ? commit : `${commit}-dirty`;
  } catch {
    return "unknown";
  }
}
