// Each store beyond the lake, reached the way its function reaches it, reading only: a DynamoDB
// table (and its index) described, a PostgreSQL database connected to and its tables and ID columns
// counted in a read-only transaction with no IDs, a subsystem's HTTPS endpoint answering at all.
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { StoreConfig, storeDefaults } from "../../../runtime/contracts/stores";
import { postgresStore } from "../../../runtime/stores/postgres";
import { secretReader } from "../../../runtime/stores/secrets";
import { awsError, DoctorCheck, failed, ok } from "./checks";

export interface StoreClients {
  dynamodb: DynamoDBClient;
  secrets: SecretsManagerClient;
}

async function dynamoDbReach(dynamodb: DynamoDBClient, store: Extract<StoreConfig, { kind: "dynamodb" }>) {
  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: store.table }));
  if (store.indexName && !(Table?.GlobalSecondaryIndexes ?? []).some((i) => i.IndexName === store.indexName))
    throw new Error(`table ${store.table} has no index ${store.indexName}`);
  return `table ${store.table} is ${Table?.TableStatus ?? "there"}`;
}

async function subsystemReach(store: Extract<StoreConfig, { kind: "subsystem" }>) {
  const timeout = store.timeoutMs ?? storeDefaults.httpTimeoutMs;
  // Any HTTP answer means the endpoint is reachable; only Lethe's signed calls are answered for real.
  const res = await fetch(store.url, { method: "GET", signal: AbortSignal.timeout(timeout) });
  return `${store.url} answered HTTP ${res.status}`;
}

export async function storeChecks(
  clients: StoreClients,
  stores: readonly StoreConfig[],
  connectTimeoutMs = 5000,
): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  for (const store of stores) {
    const subject = `store ${store.name} (${store.kind})`;
    try {
      let detail: string;
      if (store.kind === "dynamodb") detail = await dynamoDbReach(clients.dynamodb, store);
      else if (store.kind === "postgres") {
        const pg = postgresStore(store, secretReader(clients.secrets), { connectTimeoutMs });
        const found = await pg.find([]);
        detail = `connected; tables ${Object.keys(found.byTable ?? {}).join(", ")} readable`;
      } else detail = await subsystemReach(store);
      checks.push(ok("store reachable", subject, "must", detail));
    } catch (err) {
      const reason = err instanceof Error && !("$metadata" in err) ? err.message : awsError(err);
      checks.push(
        failed(
          "store reachable",
          subject,
          "must",
          reason,
          store.kind === "postgres"
            ? `check the connection secret ${store.connectionSecret}, the database's network (security groups, subnets) and its tables`
            : store.kind === "dynamodb"
              ? `check that table ${store.table} exists in this account and region${store.indexName ? ` with index ${store.indexName}` : ""}`
              : `check that ${store.url} is up and reachable from the stack's network; tell its owner ${store.owner}`,
        ),
      );
    }
  }
  return checks;
}
