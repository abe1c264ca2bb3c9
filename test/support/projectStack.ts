// A project of this program with one more stack, for tests that provision a local stack from a stack
// config of their own (`lethe up --local --stack <name>`).
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";

const root = path.resolve(__dirname, "../..");

/** A project of this program in `dir` with one more stack, `name`: the dev stack's settings and `extra`. */
export function projectWithStack(dir: string, name: string, extra: Record<string, string>): string {
  const project = yaml.load(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as Record<
    string,
    unknown
  >;
  project.main = path.join(root, String(project.main));
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), yaml.dump(project));
  const dev = yaml.load(fs.readFileSync(path.join(root, "Pulumi.dev.yaml"), "utf8")) as {
    config: Record<string, string>;
  };
  fs.writeFileSync(path.join(dir, `Pulumi.${name}.yaml`), yaml.dump({ config: { ...dev.config, ...extra } }));
  return dir;
}
