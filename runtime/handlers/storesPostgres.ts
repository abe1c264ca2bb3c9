// PostgreSQL / Aurora store function: one per configured database, in the database's VPC, reading its
// connection secret once per cold start. Console test event:
// {"batchId": "b1", "action": "erase", "store": "accounts", "manifest": {"bucket": "...", "key": "..."}}
import { makeSecretsManagerClient } from "../aws/clients";
import { Env } from "../contracts/env";
import { postgresStore } from "../stores/postgres";
import { secretReader } from "../stores/secrets";
import { createStoreHandler, StoreHandler, storeFromEnv } from "../stores/storeHandler";

export function createStoresPostgresHandler(env: Env = process.env): StoreHandler {
  const store = storeFromEnv(env, "postgres");
  const secrets = secretReader(makeSecretsManagerClient());
  return createStoreHandler(env, store, { tableStore: postgresStore(store, secrets) });
}
