// The program's own resource declarations: infra/ run under Pulumi mocks (local/program/mockedRun.ts),
// once per process and stack, and from the on-disk cache while the program is unchanged
// (local/program/runCache.ts). Names are deterministic (local/program/mockAws.ts), so every run
// declares the same physical names.
import { prepareProgram, ProgramRun } from "../program/mockedRun";
import { cachedProgramRun } from "../program/runCache";

const runs = new Map<string, Promise<ProgramRun>>();

export const defaultStack = "dev";

/** Every resource the program registers for `stack`, with its inputs and mocked state, and its outputs. */
export function programDeclarations(stack = defaultStack, program?: string): Promise<ProgramRun> {
  const key = `${program ?? ""}\0${stack}`;
  let run = runs.get(key);
  if (!run) {
    run = cachedProgramRun(prepareProgram(program, stack)).then((cached) => cached.run);
    runs.set(key, run);
    run.catch(() => runs.delete(key));
  }
  return run;
}

/** The region the program deploys to (its `aws:region`, else the mocks' default). */
export function programRegion(run: ProgramRun): string {
  return run.config["aws:region"] ?? "eu-west-1";
}
