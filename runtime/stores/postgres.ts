// PostgreSQL / Aurora PostgreSQL as a store. Per configured table and ID column, one parameterised
// `DELETE ... WHERE col = ANY($1)` (child tables first, through the parent's keys), all of a batch in
// one transaction: every table loses the subjects' rows, or (on any error, a statement timeout
// included) none does. Before the first delete the transaction checks that every configured table and
// column exists, so a misconfigured store fails with a clear error and erases nothing.
//
// The connection secret comes from Secrets Manager (read once per cold start, again when the
// database refuses the credentials, so rotation works), TLS is on unless the store says `ssl: false`,
// and `statement_timeout` bounds every statement. Row counts are reported; IDs never leave the query
// parameters.
import { Client, ClientConfig } from "pg";
import { PostgresStoreConfig, PostgresTable, storeDefaults } from "../contracts/stores";
import { EraseOptions, EraseResult, FindResult, Store, StoreError, VerifyResult } from "./store";
import { SecretError, SecretReader } from "./secrets";

export interface PostgresConnectionSecret {
  username: string;
  password: string;
  host: string;
  port?: number | string;
  dbname?: string;
}

export interface PostgresStoreOptions {
  /** Milliseconds to wait for a connection (default 10000). */
  connectTimeoutMs?: number;
}

/** A planned statement: the table it counts or deletes in, and its SQL (one parameter: the IDs). */
interface Step {
  table: string;
  where: string;
}

const authFailureCodes = new Set(["28P01", "28000"]);
const statementTimeoutCode = "57014";

const quoteIdent = (name: string): string =>
  name
    .split(".")
    .map((part) => `"${part}"`)
    .join(".");

export function parseConnectionSecret(secretId: string, raw: string): PostgresConnectionSecret {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new SecretError(secretId, "is not JSON with username, password and host");
  }
  const s = value as Record<string, unknown>;
  for (const field of ["username", "host"]) {
    if (typeof s?.[field] !== "string" || s[field] === "")
      throw new SecretError(
        secretId,
        `has no ${field} (expected JSON with username, password, host, port, dbname)`,
      );
  }
  if (typeof s.password !== "string") throw new SecretError(secretId, "has no password");
  return s as unknown as PostgresConnectionSecret;
}

export function postgresStore(
  config: PostgresStoreConfig,
  secrets: SecretReader,
  options: PostgresStoreOptions = {},
): Store {
  const timeoutMs = config.statementTimeoutMs ?? storeDefaults.statementTimeoutMs;
  const ssl = config.ssl ?? storeDefaults.ssl;
  const fail = (reason: string): never => {
    throw new StoreError(config.name, reason);
  };

  const clientConfig = (secret: PostgresConnectionSecret): ClientConfig => ({
    host: secret.host,
    port: secret.port === undefined ? 5432 : Number(secret.port),
    user: secret.username,
    password: secret.password,
    database: secret.dbname ?? "postgres",
    // Certificates are verified: in Lambda, NODE_EXTRA_CA_CERTS points at the RDS CA bundle.
    ssl: ssl ? { rejectUnauthorized: true } : false,
    statement_timeout: timeoutMs,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: `lethe-store-${config.name}`,
  });

  const connectWith = async (raw: string): Promise<Client> => {
    const client = new Client(clientConfig(parseConnectionSecret(config.connectionSecret, raw)));
    client.on("error", () => undefined); // a dropped idle connection is reported by the next query
    await client.connect();
    return client;
  };

  const connect = async (): Promise<Client> => {
    try {
      try {
        return await connectWith(await secrets.get(config.connectionSecret));
      } catch (error) {
        if (!authFailureCodes.has((error as { code?: string }).code ?? "")) throw error;
        // The secret may have been rotated since this function read it: read it again, once.
        return await connectWith(await secrets.refresh(config.connectionSecret));
      }
    } catch (error) {
      if (error instanceof SecretError) return fail(error.message);
      return fail(`cannot connect to PostgreSQL: ${(error as Error).message}`);
    }
  };

  /** The statements for the configured tables, children before their parents, with the ID type cast. */
  const plan = async (client: Client): Promise<Step[]> => {
    const columnType = async (table: string, column: string): Promise<string> => {
      const rel = await client.query<{ oid: string | null }>("SELECT to_regclass($1)::oid AS oid", [
        quoteIdent(table),
      ]);
      if (rel.rows[0].oid === null) fail(`table ${table} does not exist (or is not visible to this user)`);
      const col = await client.query<{ type: string }>(
        `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute
          WHERE attrelid = $1 AND attname = $2 AND attnum > 0 AND NOT attisdropped`,
        [rel.rows[0].oid, column],
      );
      if (col.rowCount === 0) fail(`table ${table} has no column ${column}`);
      return col.rows[0].type;
    };
    const steps: Step[] = [];
    for (const t of config.tables as PostgresTable[]) {
      const idType = await columnType(t.table, t.idColumn);
      const parentRows = `${quoteIdent(t.idColumn)} = ANY($1::${idType}[])`;
      for (const child of t.children ?? []) {
        await columnType(child.table, child.column);
        await columnType(t.table, child.parentColumn);
        steps.push({
          table: child.table,
          where: `${quoteIdent(child.column)} IN (SELECT ${quoteIdent(child.parentColumn)} FROM ${quoteIdent(t.table)} WHERE ${parentRows})`,
        });
      }
      steps.push({ table: t.table, where: parentRows });
    }
    return steps;
  };

  const describe = (error: unknown, table: string | undefined): never => {
    if (error instanceof StoreError) throw error;
    const e = error as { code?: string; message?: string };
    const on = table ? ` on table ${table}` : "";
    if (e.code === statementTimeoutCode)
      return fail(
        `statement timed out after ${timeoutMs} ms${on} (statement_timeout); ` +
          "the transaction was rolled back and nothing was erased",
      );
    // Data exceptions (class 22) quote the offending value, which would be a subject's ID.
    if (e.code?.startsWith("22"))
      return fail(
        `an ID does not fit the ID column's type${on} (SQLSTATE ${e.code}); the transaction was rolled back and nothing was erased`,
      );
    return fail(
      `PostgreSQL error${on} (${e.code ?? "no code"}): ${e.message}; the transaction was rolled back`,
    );
  };

  /** Runs `fn` in one transaction: committed when it returns, rolled back when it throws. */
  const inTransaction = async <T>(
    readOnly: boolean,
    fn: (client: Client, at: { table?: string }) => Promise<T>,
  ): Promise<T> => {
    const client = await connect();
    const at: { table?: string } = {};
    try {
      await client.query(readOnly ? "BEGIN READ ONLY" : "BEGIN");
      const result = await fn(client, at);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      return describe(error, at.table);
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  const count = (ids: readonly string[]): Promise<Record<string, number>> =>
    inTransaction(true, async (client, at) => {
      const byTable: Record<string, number> = {};
      for (const step of await plan(client)) {
        at.table = step.table;
        const r = await client.query<{ n: string }>(
          `SELECT count(*) AS n FROM ${quoteIdent(step.table)} WHERE ${step.where}`,
          [ids],
        );
        byTable[step.table] = (byTable[step.table] ?? 0) + Number(r.rows[0].n);
      }
      return byTable;
    });

  const total = (byTable: Record<string, number>): number =>
    Object.values(byTable).reduce((a, b) => a + b, 0);

  return {
    name: config.name,

    async find(ids): Promise<FindResult> {
      const byTable = await count(ids);
      return { count: total(byTable), byTable };
    },

    async erase(ids, options: EraseOptions): Promise<EraseResult> {
      const byTable = await inTransaction(false, async (client, at) => {
        // Two erasures of this store (a stale retry and the current batch) run one after the other;
        // the fencing token is visible in pg_stat_activity for whoever investigates.
        await client.query("SELECT set_config('application_name', $1, true)", [
          `lethe-store-${config.name} fence=${options.fencingToken}`,
        ]);
        await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`lethe-store:${config.name}`]);
        const deleted: Record<string, number> = {};
        for (const step of await plan(client)) {
          at.table = step.table;
          const r = await client.query(`DELETE FROM ${quoteIdent(step.table)} WHERE ${step.where}`, [ids]);
          deleted[step.table] = (deleted[step.table] ?? 0) + (r.rowCount ?? 0);
        }
        return deleted;
      });
      return { deleted: total(byTable), byTable };
    },

    async verify(ids): Promise<VerifyResult> {
      const byTable = await count(ids);
      return { remaining: total(byTable), byTable };
    },
  };
}
