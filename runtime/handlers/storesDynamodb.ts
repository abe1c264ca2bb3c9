// DynamoDB store function: one per configured DynamoDB store (its own role: Query and DeleteItem on
// that table only). Console test event:
// {"batchId": "b1", "action": "find", "store": "profiles", "manifest": {"bucket": "...", "key": "..."}}
import { makeDynamoDbClient } from "../aws/clients";
import { Env } from "../contracts/env";
import { dynamoDbStore } from "../stores/dynamodb";
import { createStoreHandler, StoreHandler, storeFromEnv } from "../stores/storeHandler";

export function createStoresDynamodbHandler(env: Env = process.env): StoreHandler {
  const store = storeFromEnv(env, "dynamodb");
  return createStoreHandler(env, store, { tableStore: dynamoDbStore(makeDynamoDbClient(), store) });
}
