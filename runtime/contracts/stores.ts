// The stores beyond the lake that hold a subject's data: DynamoDB tables, PostgreSQL/Aurora tables and
// other teams' systems behind HTTPS. The program reads them from `lethe:stores` (a JSON string),
// validates them here, and hands each store's function its own entry as JSON (`envNames.store`);
// the same checks run again at the function's cold start, so a hand-edited environment fails early.

export type StoreKind = "dynamodb" | "postgres" | "subsystem";
export const storeKinds: readonly StoreKind[] = ["dynamodb", "postgres", "subsystem"];

interface StoreCommon {
  /** Short stable name (`[a-z][a-z0-9-]*`, at most 32): used in events, replies, alerts, resource names. */
  name: string;
  kind: StoreKind;
  /** E-mail address of the team that owns the store: named in every alert about it. */
  owner: string;
  /** Which part of a (composite) subject key this store matches on; 0 when left out. */
  keyPart?: number;
}

/** A DynamoDB table keyed by the subject's ID, or reachable through a GSI whose partition key is the ID. */
export interface DynamoDbStoreConfig extends StoreCommon {
  kind: "dynamodb";
  table: string;
  /** The attribute holding the subject's ID (the table's partition key, or the GSI's). */
  idAttribute: string;
  /** "S" (default) or "N": the ID attribute's DynamoDB type. */
  idType?: "S" | "N";
  /** A GSI whose partition key is `idAttribute`; left out when the table itself is keyed by it. */
  indexName?: string;
  /** The table's own key attributes (required with `indexName`, to delete what the index found). */
  partitionKey?: string;
  sortKey?: string;
  /** An attribute every writer changes (a version number or timestamp): deletes are conditional on it. */
  versionAttribute?: string;
}

/** A child table whose rows reference the parent's rows: erased first, through the parent's keys. */
export interface PostgresChildTable {
  /** `table` or `schema.table`. */
  table: string;
  /** The child's column referencing the parent (e.g. `order_id`). */
  column: string;
  /** The parent's column it references (e.g. `id`). */
  parentColumn: string;
}

export interface PostgresTable {
  /** `table` or `schema.table`. */
  table: string;
  /** The column holding the subject's ID. */
  idColumn: string;
  /** Tables referencing this one, erased before it in the same transaction. */
  children?: PostgresChildTable[];
}

/** The network the function joins to reach the database (the database's own VPC). */
export interface StoreNetwork {
  vpcId: string;
  subnetIds: string[];
  securityGroupIds: string[];
}

export interface PostgresStoreConfig extends StoreCommon {
  kind: "postgres";
  /**
   * Secrets Manager ARN or name of the connection secret: JSON with `username`, `password`, and
   * `host`, `port`, `dbname` (the shape RDS writes for managed and rotated secrets).
   */
  connectionSecret: string;
  /** TLS to the database (default true); false only for a local test server. */
  ssl?: boolean;
  /** `statement_timeout` of every statement, in milliseconds (default 30000). */
  statementTimeoutMs?: number;
  /** Tables in deletion order; each one's children go before it. */
  tables: PostgresTable[];
  /** Where the function runs; required for a deployed stack (checked by the program). */
  network?: StoreNetwork;
}

export type SubsystemMode = "sync" | "async";

/** Another team's system that erases a subject when asked over HTTPS (see docs/stores.md). */
export interface SubsystemStoreConfig extends StoreCommon {
  kind: "subsystem";
  /** https:// base URL; Lethe calls `POST <url>/erasures` and `GET <url>/erasures/<request id>`. */
  url: string;
  /** sync: one call answers done or failed. async: submit, then poll until done, failed, or the deadline. */
  mode: SubsystemMode;
  /** Secrets Manager ARN or name of the HMAC-SHA256 signing secret (a plain string). */
  signingSecret: string;
  /** Milliseconds one HTTP call may take (default 10000). */
  timeoutMs?: number;
}

export type StoreConfig = DynamoDbStoreConfig | PostgresStoreConfig | SubsystemStoreConfig;

export const storeDefaults = {
  keyPart: 0,
  idType: "S" as const,
  ssl: true,
  statementTimeoutMs: 30_000,
  httpTimeoutMs: 10_000,
};

export class StoreConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.message = message;
    this.name = "StoreConfigError";
  }
}

export const storeNamePattern = /^[a-z][a-z0-9-]{0,31}$/;
/** PostgreSQL identifiers Lethe accepts unquoted-safe: letters, digits, `_`; optionally `schema.`. */
export const sqlTablePattern = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;
export const sqlColumnPattern = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
export const dynamoTablePattern = /^[A-Za-z0-9_.-]{3,255}$/;
export const dynamoAttributePattern = /^[A-Za-z0-9_.-]{1,255}$/;
const emailPattern = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
/** A Secrets Manager ARN, or a secret name (letters, digits and /_+=.@-). */
const secretIdPattern =
  /^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+|[A-Za-z0-9/_+=.@-]{1,512})$/;

const commonFields = ["name", "kind", "owner", "keyPart"];
const fieldsByKind: Record<StoreKind, string[]> = {
  dynamodb: ["table", "idAttribute", "idType", "indexName", "partitionKey", "sortKey", "versionAttribute"],
  postgres: ["connectionSecret", "ssl", "statementTimeoutMs", "tables", "network"],
  subsystem: ["url", "mode", "signingSecret", "timeoutMs"],
};

/**
 * Checks a list of store settings, throwing a StoreConfigError that names the store and the field.
 * Returns the stores typed; an empty list is valid (no stores beyond the lake).
 */
export function validateStores(raw: unknown, options: ValidateStoreOptions = {}): StoreConfig[] {
  if (!Array.isArray(raw)) throw new StoreConfigError(`must be a list of stores, got ${JSON.stringify(raw)}`);
  const names = new Set<string>();
  return raw.map((entry, i) => {
    const store = validateStore(entry, `entry ${i}`, options);
    if (names.has(store.name))
      throw new StoreConfigError(`store "${store.name}": name is used by another store`);
    names.add(store.name);
    return store;
  });
}

export interface ValidateStoreOptions {
  /** Accepts http:// to 127.0.0.1 or localhost for a subsystem: the local test double only. */
  allowLoopbackHttp?: boolean;
}

/** Checks one store's settings (what a store function finds in its environment). */
export function validateStore(
  raw: unknown,
  where = "store",
  options: ValidateStoreOptions = {},
): StoreConfig {
  const fail = (message: string): never => {
    throw new StoreConfigError(message);
  };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail(`${where} must be an object`);
  const s = raw as Record<string, unknown>;
  const label = typeof s.name === "string" ? `store "${s.name}"` : where;
  const bad = (field: string, rule: string, value: unknown = s[field]): never =>
    fail(`${label}: ${field} ${rule}, got ${JSON.stringify(value)}`);

  if (typeof s.name !== "string" || !storeNamePattern.test(s.name))
    bad("name", "must match [a-z][a-z0-9-]* (at most 32 characters)");
  if (typeof s.kind !== "string" || !storeKinds.includes(s.kind as StoreKind))
    bad("kind", `must be one of ${storeKinds.join(", ")}`);
  const kind = s.kind as StoreKind;
  for (const k of Object.keys(s)) {
    if (!commonFields.includes(k) && !fieldsByKind[kind].includes(k))
      fail(`${label}: unknown field ${JSON.stringify(k)} for a ${kind} store`);
  }
  if (typeof s.owner !== "string" || !emailPattern.test(s.owner))
    bad("owner", "must be the owning team's e-mail address (alerts name it)");
  if (s.keyPart !== undefined && (!Number.isInteger(s.keyPart) || (s.keyPart as number) < 0))
    bad("keyPart", "must be a whole number from 0 (the part of a composite subject key to match on)");
  const secret = (field: string): void => {
    if (typeof s[field] !== "string" || !secretIdPattern.test(s[field] as string))
      bad(field, "must be a Secrets Manager secret ARN or name");
  };
  const optionalInt = (field: string, min: number, max: number): void => {
    const v = s[field];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < min || (v as number) > max))
      bad(field, `must be a whole number from ${min} to ${max}`);
  };

  if (kind === "dynamodb") {
    if (typeof s.table !== "string" || !dynamoTablePattern.test(s.table))
      bad("table", "must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)");
    for (const f of ["idAttribute", "indexName", "partitionKey", "sortKey", "versionAttribute"]) {
      const required = f === "idAttribute" || (f === "partitionKey" && s.indexName !== undefined);
      if (s[f] === undefined && !required) continue;
      if (typeof s[f] !== "string" || !dynamoAttributePattern.test(s[f] as string))
        bad(
          f,
          f === "partitionKey" && s[f] === undefined
            ? "is required with indexName (the table's own partition key, to delete what the index found)"
            : "must be a DynamoDB attribute or index name (A-Z a-z 0-9 _ . -)",
        );
    }
    if (s.indexName === undefined && s.partitionKey !== undefined && s.partitionKey !== s.idAttribute)
      bad(
        "partitionKey",
        `differs from idAttribute ${JSON.stringify(s.idAttribute)}: name the GSI keyed by it in indexName`,
      );
    if (s.idType !== undefined && s.idType !== "S" && s.idType !== "N") bad("idType", 'must be "S" or "N"');
  } else if (kind === "postgres") {
    secret("connectionSecret");
    if (s.ssl !== undefined && typeof s.ssl !== "boolean") bad("ssl", "must be true or false");
    optionalInt("statementTimeoutMs", 100, 15 * 60 * 1000);
    if (!Array.isArray(s.tables) || s.tables.length === 0)
      bad("tables", "must be a non-empty list of tables");
    (s.tables as unknown[]).forEach((t, i) => validatePostgresTable(t, `${label}: tables[${i}]`));
    if (s.network !== undefined) validateNetwork(s.network, `${label}: network`);
  } else {
    if (typeof s.url !== "string" || !isHttpsUrl(s.url, options.allowLoopbackHttp === true))
      bad("url", "must be an https:// URL (requests carry subjects' IDs and are signed)");
    if (s.mode !== "sync" && s.mode !== "async") bad("mode", 'must be "sync" or "async"');
    secret("signingSecret");
    optionalInt("timeoutMs", 100, 60_000);
  }
  return s as unknown as StoreConfig;
}

function isHttpsUrl(value: string, allowLoopbackHttp: boolean): boolean {
  try {
    const u = new URL(value);
    const loopback = u.protocol === "http:" && (u.hostname === "127.0.0.1" || u.hostname === "localhost");
    return (
      (u.protocol === "https:" || (allowLoopbackHttp && loopback)) &&
      u.hostname !== "" &&
      u.search === "" &&
      u.hash === ""
    );
  } catch {
    return false;
  }
}

function validatePostgresTable(raw: unknown, where: string): void {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new StoreConfigError(`${where} must be an object`);
  const t = raw as Record<string, unknown>;
  const bad = (field: string, rule: string): never => {
    throw new StoreConfigError(`${where}: ${field} ${rule}, got ${JSON.stringify(t[field])}`);
  };
  for (const k of Object.keys(t))
    if (!["table", "idColumn", "children"].includes(k))
      throw new StoreConfigError(`${where}: unknown field ${JSON.stringify(k)}`);
  if (typeof t.table !== "string" || !sqlTablePattern.test(t.table))
    bad("table", "must be a table name, table or schema.table (letters, digits, _)");
  if (typeof t.idColumn !== "string" || !sqlColumnPattern.test(t.idColumn))
    bad("idColumn", "must be a column name (letters, digits, _)");
  if (t.children === undefined) return;
  if (!Array.isArray(t.children)) bad("children", "must be a list of child tables");
  (t.children as unknown[]).forEach((c, i) => {
    const cw = `${where}.children[${i}]`;
    if (typeof c !== "object" || c === null || Array.isArray(c))
      throw new StoreConfigError(`${cw} must be an object`);
    const child = c as Record<string, unknown>;
    const cbad = (field: string, rule: string): never => {
      throw new StoreConfigError(`${cw}: ${field} ${rule}, got ${JSON.stringify(child[field])}`);
    };
    for (const k of Object.keys(child))
      if (!["table", "column", "parentColumn"].includes(k))
        throw new StoreConfigError(`${cw}: unknown field ${JSON.stringify(k)}`);
    if (typeof child.table !== "string" || !sqlTablePattern.test(child.table))
      cbad("table", "must be a table name, table or schema.table (letters, digits, _)");
    if (typeof child.column !== "string" || !sqlColumnPattern.test(child.column))
      cbad("column", "must be a column name (letters, digits, _)");
    if (typeof child.parentColumn !== "string" || !sqlColumnPattern.test(child.parentColumn))
      cbad("parentColumn", "must be a column name (letters, digits, _)");
  });
}

function validateNetwork(raw: unknown, where: string): void {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new StoreConfigError(`${where} must be an object {vpcId, subnetIds, securityGroupIds}`);
  const n = raw as Record<string, unknown>;
  const ids = (field: string, prefix: string, list: boolean): void => {
    const v = n[field];
    const values = list ? v : [v];
    if (
      !Array.isArray(values) ||
      values.length === 0 ||
      values.some((x) => typeof x !== "string" || !x.startsWith(prefix))
    )
      throw new StoreConfigError(
        `${where}: ${field} must be ${list ? `a non-empty list of ${prefix}... ids` : `a ${prefix}... id`}, got ${JSON.stringify(v)}`,
      );
  };
  ids("vpcId", "vpc-", false);
  ids("subnetIds", "subnet-", true);
  ids("securityGroupIds", "sg-", true);
}

/** The part of each subject key a store matches on (its `keyPart`), de-duplicated. */
export function storeIds(store: StoreConfig, keys: readonly (readonly string[])[]): string[] {
  const part = store.keyPart ?? storeDefaults.keyPart;
  const out = new Set<string>();
  keys.forEach((key, i) => {
    const v = key[part];
    if (typeof v !== "string" || v === "")
      throw new StoreConfigError(`store "${store.name}": subject ${i + 1} has no key part ${part} (keyPart)`);
    out.add(v);
  });
  return [...out];
}
