// Which engine answers find for a stack: Athena when deployed, the embedded engine for `local: true`.
// The embedded engine's module is required only on the local branch, so DuckDB (a devDependency) is
// never loaded by, nor packaged with, a deployed function.
import { AthenaClient } from "@aws-sdk/client-athena";
import { GlueClient } from "@aws-sdk/client-glue";
import { S3Client } from "@aws-sdk/client-s3";
import * as os from "node:os";
import * as path from "node:path";
import { Env, envNames, requiredEnv } from "../../contracts/env";
import { Finder } from "./finder";
import { athenaFinder } from "./athenaFinder";
import type { DuckDbFinderSettings } from "./duckdbFinder";

export type FinderTarget =
  ({ local: true } & DuckDbFinderSettings) | { local?: false; workGroup: string; manifestDatabase: string };

export function finderForStack(
  target: FinderTarget,
  clients: { s3: S3Client; athena?: AthenaClient; glue?: GlueClient },
): Finder {
  if (target.local) {
    const { duckDbFinder } = require("./duckdbFinder") as typeof import("./duckdbFinder");
    return duckDbFinder({ s3: clients.s3 }, target);
  }
  if (!clients.athena || !clients.glue)
    throw new Error("a deployed stack's finder needs Athena and Glue clients");
  return athenaFinder(
    { athena: clients.athena, glue: clients.glue, s3: clients.s3 },
    { workGroup: target.workGroup, manifestDatabase: target.manifestDatabase },
  );
}

/** The engine a function's environment names: Athena unless `LETHE_FIND_ENGINE=embedded` (local stacks). */
export function finderTargetFromEnv(env: Env): FinderTarget {
  const engine = env[envNames.findEngine] ?? "athena";
  if (engine === "embedded") {
    return {
      local: true,
      cacheDir: env[envNames.findCacheDir] || path.join(os.tmpdir(), "lethe-find-cache"),
    };
  }
  if (engine !== "athena") {
    throw new Error(
      `environment variable ${envNames.findEngine} must be athena or embedded, got ${JSON.stringify(engine)}`,
    );
  }
  return {
    workGroup: requiredEnv(env, envNames.athenaWorkgroup),
    manifestDatabase: requiredEnv(env, envNames.glueDatabase),
  };
}
