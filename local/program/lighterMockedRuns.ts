// A run of the program under mocks (the tests of infra/, `lethe up --local`, the policy gate) paid for
// three things only a deployment uses, measured with --cpu-prof on a build of the whole program (about
// 20 s on a busy 2-core machine, half of it these):
// - every resource's source position: Pulumi's Resource constructor formats an unlimited stack trace,
//   which ts-node's source-map support maps frame by frame (~40 % of the build). The engine shows it
//   in diagnostics; mocks discard it.
// - every promise Pulumi wraps keeps a formatted stack trace for its leak report (mapped the same way),
//   which prints those traces only under PULUMI_DEBUG_PROMISE_LEAKS (then they are kept).
// - every CallbackFunction's code paths load the whole node_modules tree with Arborist again (20
//   functions: 20 loads). The tree cannot change during one process's run, so it is loaded once.
// None changes what the program declares: tests that compare two runs see the same resources.
import * as path from "node:path";

let lightened = false;

/** Makes this process's mocked runs skip what only a deployment uses (idempotent). */
export function lightenMockedRuns(): void {
  if (lightened) return;
  lightened = true;
  // The very modules Pulumi's runtime loads (a nested copy would leave Pulumi's own unpatched).
  const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
  const fromPulumi = (id: string) => require(require.resolve(id, { paths: [pulumiDir] }));
  const { Resource } = require("@pulumi/pulumi/resource") as { Resource: { callsites(): unknown[] } };
  Resource.callsites = () => [];

  // The traces are read only when PULUMI_DEBUG_PROMISE_LEAKS asks for them: then they are kept.
  if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS) {
    const debuggable = require("@pulumi/pulumi/runtime/debuggable") as {
      debuggablePromise<T>(p: Promise<T>, ctx: unknown): Promise<T>;
    };
    const original = debuggable.debuggablePromise;
    debuggable.debuggablePromise = <T>(p: Promise<T>, ctx: unknown): Promise<T> => {
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      try {
        return original(p, ctx);
      } finally {
        Error.stackTraceLimit = limit;
      }
    };
  }

  const { Arborist } = fromPulumi("@npmcli/arborist") as {
    Arborist: { prototype: { loadActual(this: { path: string }, opts?: unknown): Promise<unknown> } };
  };
  const loadActual = Arborist.prototype.loadActual;
  const trees = new Map<string, Promise<unknown>>();
  Arborist.prototype.loadActual = function (this: { path: string }, opts?: unknown) {
    if (opts !== undefined) return loadActual.call(this, opts);
    const key = path.resolve(this.path);
    let tree = trees.get(key);
    if (!tree) {
      tree = loadActual.call(this);
      trees.set(key, tree);
      tree.catch(() => trees.delete(key));
    }
    return tree;
  };
}
