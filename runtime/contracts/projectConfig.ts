// The stack settings the project declares in Pulumi.yaml (type, description, default): the one place
// each default lives. The Pulumi CLI applies the defaults to a stack that does not set a key; the
// program (infra/config.ts) and the local tools read them here for runs without the CLI.
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";

export interface DeclaredSetting {
  type?: string;
  description?: string;
  default?: unknown;
}

/** The project's Pulumi.yaml: the nearest one above `from` (this module's folder by default). */
export function findProjectFile(from = __dirname): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "Pulumi.yaml");
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) {
      throw new Error(`no Pulumi.yaml above ${from}: the settings' defaults live there`);
    }
  }
}

/**
 * The project's root (the folder of its Pulumi.yaml). Found by walking up rather than from a fixed
 * depth, so modules compiled elsewhere (the CLI's .lethe/build/) find the same project files.
 */
export function projectRoot(from = __dirname): string {
  return path.dirname(findProjectFile(from));
}

/** Every `lethe:` setting Pulumi.yaml declares, by key. */
export function declaredSettings(file = findProjectFile()): Record<string, DeclaredSetting> {
  const project = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, DeclaredSetting> };
  return project?.config ?? {};
}

/** Each declared setting's default, by key. */
export function declaredDefaults(file = findProjectFile()): Record<string, unknown> {
  return Object.fromEntries(Object.entries(declaredSettings(file)).map(([k, d]) => [k, d.default]));
}
