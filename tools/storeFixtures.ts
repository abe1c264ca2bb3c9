// Local fixtures for the stores beyond the lake, shared by tests and benchmarks: the machine's
// PostgreSQL (127.0.0.1:5432, trust auth, database `test`) in a scratch schema per run, and
// Secrets Manager secrets and DynamoDB tables in the emulator.
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";

export const localPostgres = {
  host: "127.0.0.1",
  port: 5432,
  username: "postgres",
  password: "",
  dbname: "test",
};

export async function connectLocalPostgres(): Promise<Client> {
  const client = new Client({
    host: localPostgres.host,
    port: localPostgres.port,
    user: localPostgres.username,
    database: localPostgres.dbname,
  });
  await client.connect();
  return client;
}

/** A fresh schema for one run, dropped (with everything in it) by `drop`. */
export async function scratchSchema(
  client: Client,
  prefix = "lethe_stores",
): Promise<{ name: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString("hex")}`;
  await client.query(`CREATE SCHEMA "${name}"`);
  return { name, drop: async () => void (await client.query(`DROP SCHEMA "${name}" CASCADE`)) };
}

/** Creates (or replaces the value of) a secret in Secrets Manager; returns its ARN. */
export async function putSecret(sm: SecretsManagerClient, name: string, value: string): Promise<string> {
  try {
    const out = await sm.send(new CreateSecretCommand({ Name: name, SecretString: value }));
    return out.ARN!;
  } catch (error) {
    if ((error as { name?: string }).name !== "ResourceExistsException") throw error;
    const out = await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
    return out.ARN!;
  }
}

/** The connection secret of the local test server, as RDS shapes it. */
export function localPostgresSecret(overrides: Partial<typeof localPostgres> = {}): string {
  return JSON.stringify({ engine: "postgres", ...localPostgres, ...overrides });
}

/** A profile table keyed by `customer_id` (partition) and `section` (sort), on demand. */
export async function createProfileTable(ddb: DynamoDBClient, name: string): Promise<string> {
  await ddb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "customer_id", AttributeType: "S" },
        { AttributeName: "section", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "customer_id", KeyType: "HASH" },
        { AttributeName: "section", KeyType: "RANGE" },
      ],
    }),
  );
  return name;
}

/** A profile table keyed by `profile_id`, reachable by customer through the GSI `indexName` on `customer_id`. */
export async function createIndexedProfileTable(
  ddb: DynamoDBClient,
  name: string,
  indexName = "by-customer",
): Promise<string> {
  await ddb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "profile_id", AttributeType: "S" },
        { AttributeName: "customer_id", AttributeType: "S" },
      ],
      KeySchema: [{ AttributeName: "profile_id", KeyType: "HASH" }],
      GlobalSecondaryIndexes: [
        {
          IndexName: indexName,
          KeySchema: [{ AttributeName: "customer_id", KeyType: "HASH" }],
          Projection: { ProjectionType: "KEYS_ONLY" },
        },
      ],
    }),
  );
  return name;
}

/** A parent table `customers (id)` and a child `orders (customer_id -> customers.id)` in `schema`. */
export async function createCustomerTables(client: Client, schema: string): Promise<void> {
  await client.query(`
    CREATE TABLE "${schema}".customers (id text PRIMARY KEY, name text);
    CREATE TABLE "${schema}".orders (id serial PRIMARY KEY,
      customer_id text NOT NULL REFERENCES "${schema}".customers(id));
  `);
}

/**
 * One customer in every table store: `profiles` items in the profile table (createIndexedProfileTable's
 * layout), a `customers` row and two `orders` rows (createCustomerTables').
 */
export async function seedCustomer(
  stores: { ddb: DynamoDBClient; profileTable: string; db: Client; schema: string },
  customer: string,
  profiles: number,
): Promise<void> {
  for (let p = 0; p < profiles; p++)
    await stores.ddb.send(
      new PutItemCommand({
        TableName: stores.profileTable,
        Item: {
          profile_id: { S: `${customer}-profile-${p}` },
          customer_id: { S: customer },
          body: { S: "x" },
        },
      }),
    );
  await stores.db.query(`INSERT INTO "${stores.schema}".customers VALUES ($1, 'n')`, [customer]);
  await stores.db.query(`INSERT INTO "${stores.schema}".orders (customer_id) VALUES ($1), ($1)`, [customer]);
}
