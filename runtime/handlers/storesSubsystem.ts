// External subsystem function: one per configured subsystem. "submit" sends the batch's IDs (signed,
// idempotent); "poll" asks an async subsystem how far it is. Each call is one HTTP exchange; the reply's
// nextAction says what to call after the state machine's Wait. Console test event:
// {"batchId": "b1", "requestId": "r1", "action": "submit", "store": "crm", "manifest": {"bucket": "...", "key": "..."},
//  "deadline": "2026-12-31T00:00:00Z"}
import { makeSecretsManagerClient } from "../aws/clients";
import { Env, envNames } from "../contracts/env";
import { secretReader } from "../stores/secrets";
import { subsystemClient, SubsystemClientOptions } from "../stores/subsystem";
import { createStoreHandler, StoreHandler, storeFromEnv } from "../stores/storeHandler";

export function createStoresSubsystemHandler(
  env: Env = process.env,
  options: Pick<SubsystemClientOptions, "allowLoopbackHttp"> = {},
): StoreHandler {
  // A local run (the packaged function against the HTTP test double) says so in the environment.
  const allowLoopbackHttp = options.allowLoopbackHttp ?? env[envNames.subsystemAllowLoopbackHttp] === "true";
  const store = storeFromEnv(env, "subsystem", { allowLoopbackHttp });
  const secrets = secretReader(makeSecretsManagerClient());
  return createStoreHandler(env, store, {
    subsystem: subsystemClient(store, secrets, { allowLoopbackHttp }),
  });
}
