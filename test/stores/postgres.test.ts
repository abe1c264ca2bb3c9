// The PostgreSQL store against the machine's PostgreSQL: a parent table and its child erased in one
// transaction, counts reported, and every failure (missing table or column, statement timeout,
// missing secret) a clear error with nothing erased. Rotation: refused credentials are read again.
import { expect } from "chai";
import { Client } from "pg";
import { makeSecretsManagerClient } from "../../runtime/aws/clients";
import { PostgresStoreConfig } from "../../runtime/contracts/stores";
import { postgresStore } from "../../runtime/stores/postgres";
import { secretReader } from "../../runtime/stores/secrets";
import { StoreError } from "../../runtime/stores/store";
import {
  connectLocalPostgres,
  localPostgresSecret,
  putSecret,
  scratchSchema,
} from "../../local/fixtures/storeFixtures";

describe("stores: PostgreSQL", () => {
  const sm = makeSecretsManagerClient();
  let db: Client;
  let schema: { name: string; drop(): Promise<void> };
  let secretArn: string;
  const subjects = ["c1", "c2"];
  const others = ["c3", "c4"];

  const config = (over: Partial<PostgresStoreConfig> = {}): PostgresStoreConfig => ({
    name: "accounts",
    kind: "postgres",
    owner: "accounts-team@example.com",
    connectionSecret: secretArn,
    ssl: false,
    statementTimeoutMs: 5000,
    tables: [
      {
        table: `${schema.name}.orders`,
        idColumn: "customer_id",
        children: [{ table: `${schema.name}.order_items`, column: "order_id", parentColumn: "id" }],
      },
      { table: `${schema.name}.customers`, idColumn: "id" },
    ],
    ...over,
  });
  const rows = async (table: string): Promise<number> =>
    Number((await db.query(`SELECT count(*) AS n FROM "${schema.name}".${table}`)).rows[0].n);

  before(async () => {
    db = await connectLocalPostgres();
    secretArn = await putSecret(sm, `lethe-test/pg-${Date.now()}`, localPostgresSecret());
  });
  beforeEach(async () => {
    schema = await scratchSchema(db);
    const s = `"${schema.name}"`;
    await db.query(`
      CREATE TABLE ${s}.customers (id text PRIMARY KEY, name text);
      CREATE TABLE ${s}.orders (id serial PRIMARY KEY, customer_id text NOT NULL REFERENCES ${s}.customers(id));
      CREATE TABLE ${s}.order_items (id serial PRIMARY KEY, order_id int NOT NULL REFERENCES ${s}.orders(id));
    `);
    for (const [i, c] of [...subjects, ...others].entries()) {
      await db.query(`INSERT INTO ${s}.customers VALUES ($1, $2)`, [c, `name ${i}`]);
      for (let o = 0; o <= i; o++) {
        const order = await db.query(`INSERT INTO ${s}.orders (customer_id) VALUES ($1) RETURNING id`, [c]);
        await db.query(`INSERT INTO ${s}.order_items (order_id) VALUES ($1), ($1)`, [order.rows[0].id]);
      }
    }
  });
  afterEach(async () => schema.drop());
  after(async () => db.end());

  it("finds, erases children first in one transaction, and verifies zero; other subjects keep every row", async () => {
    const store = postgresStore(config(), secretReader(sm));
    // c1 has 1 order (2 items), c2 has 2 orders (4 items), one customer row each.
    const found = await store.find(subjects);
    expect(found.byTable).to.deep.equal({
      [`${schema.name}.order_items`]: 6,
      [`${schema.name}.orders`]: 3,
      [`${schema.name}.customers`]: 2,
    });
    expect(found.count).to.equal(11);
    const before = {
      customers: await rows("customers"),
      orders: await rows("orders"),
      items: await rows("order_items"),
    };

    const erased = await store.erase(subjects, { fencingToken: 7 });
    expect(erased.deleted).to.equal(11);
    expect(erased.byTable).to.deep.equal(found.byTable);
    expect(await rows("customers")).to.equal(before.customers - 2);
    expect(await rows("orders")).to.equal(before.orders - 3);
    expect(await rows("order_items")).to.equal(before.items - 6);
    expect((await store.verify(subjects)).remaining).to.equal(0);
    expect((await store.find(others)).count, "c3: 3 orders, 6 items; c4: 4 orders, 8 items").to.equal(
      2 + 7 + 14,
    );

    const again = await store.erase(subjects, { fencingToken: 8 });
    expect(again.deleted, "erasing again is harmless").to.equal(0);
  });

  it("matches an integer ID column through its own type (the index stays usable)", async () => {
    await db.query(`CREATE TABLE "${schema.name}".points (member_no bigint, points int)`);
    await db.query(`INSERT INTO "${schema.name}".points VALUES (1001, 5), (1001, 6), (1002, 7)`);
    const store = postgresStore(
      config({ tables: [{ table: `${schema.name}.points`, idColumn: "member_no" }] }),
      secretReader(sm),
    );
    expect((await store.erase(["1001"], { fencingToken: 1 })).deleted).to.equal(2);
    expect(await rows("points")).to.equal(1);
  });

  it("an ID that does not fit the column's type fails without quoting it, and erases nothing", async () => {
    await db.query(`CREATE TABLE "${schema.name}".points (member_no bigint)`);
    await db.query(`INSERT INTO "${schema.name}".points VALUES (1001)`);
    const store = postgresStore(
      config({
        tables: [
          { table: `${schema.name}.customers`, idColumn: "id" },
          { table: `${schema.name}.points`, idColumn: "member_no" },
        ],
      }),
      secretReader(sm),
    );
    const error = await store
      .erase(["1001", "c1-not-a-number"], { fencingToken: 1 })
      .catch((e: unknown) => e);
    expect((error as Error).message).to.equal(
      `store "accounts": an ID does not fit the ID column's type on table ${schema.name}.points (SQLSTATE 22P02); ` +
        "the transaction was rolled back and nothing was erased",
    );
    expect(await rows("points")).to.equal(1);
    expect(await rows("customers"), "the customers DELETE before it was rolled back").to.equal(4);
  });

  for (const [what, tables, expected] of [
    [
      "a missing table",
      (s: string) => [
        { table: `${s}.customers`, idColumn: "id" },
        { table: `${s}.no_such_table`, idColumn: "id" },
      ],
      /table lethe_stores_\w+\.no_such_table does not exist/,
    ],
    [
      "a missing column",
      (s: string) => [
        { table: `${s}.orders`, idColumn: "customer_id" },
        { table: `${s}.customers`, idColumn: "customer_no" },
      ],
      /table lethe_stores_\w+\.customers has no column customer_no/,
    ],
  ] as const) {
    it(`refuses ${what} before any delete`, async () => {
      const store = postgresStore(config({ tables: tables(schema.name) as never }), secretReader(sm));
      const before = await rows("orders");
      const error = await store.erase(subjects, { fencingToken: 1 }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(StoreError);
      expect((error as Error).message).to.match(expected);
      expect(await rows("orders"), "nothing erased").to.equal(before);
    });
  }

  it("fails a statement that times out with the reason, rolls back, and erases nothing", async () => {
    const blocker = await connectLocalPostgres();
    try {
      // Another session holds the parent table: the store's DELETE on it waits past statement_timeout,
      // after its DELETEs on the child tables have run inside the same transaction.
      await blocker.query("BEGIN");
      await blocker.query(`LOCK TABLE "${schema.name}".customers IN ACCESS EXCLUSIVE MODE`);
      const store = postgresStore(config({ statementTimeoutMs: 300 }), secretReader(sm));
      const before = {
        orders: await rowsVia(blocker, "orders"),
        items: await rowsVia(blocker, "order_items"),
      };
      const error = await store.erase(subjects, { fencingToken: 1 }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(StoreError);
      expect((error as Error).message).to.match(
        /statement timed out after 300 ms on table lethe_stores_\w+\.customers .*rolled back and nothing was erased/,
      );
      await blocker.query("ROLLBACK");
      expect(await rows("orders")).to.equal(before.orders);
      expect(await rows("order_items")).to.equal(before.items);
    } finally {
      await blocker.end();
    }
  });

  it("names a connection secret that does not exist, and erases nothing", async () => {
    const store = postgresStore(config({ connectionSecret: "lethe-test/no-such-secret" }), secretReader(sm));
    const error = await store.erase(subjects, { fencingToken: 1 }).catch((e: unknown) => e);
    expect((error as Error).message).to.equal(
      'store "accounts": secret lethe-test/no-such-secret: does not exist in Secrets Manager (or this function may not read it)',
    );
    expect(await rows("customers")).to.equal(4);
  });

  it("reads the secret once, and again when the database refuses the credentials it holds (rotation)", async () => {
    const name = `lethe-test/pg-rotating-${Date.now()}`;
    await putSecret(sm, name, localPostgresSecret({ username: "lethe_user_rotated_away" }));
    const secrets = secretReader(sm);
    const store = postgresStore(config({ connectionSecret: name }), secrets);
    const refused = await store.find(subjects).catch((e: unknown) => e);
    expect((refused as Error).message).to.match(/role "lethe_user_rotated_away" does not exist/);
    await putSecret(sm, name, localPostgresSecret());
    // The cached value is still the old one until the database refuses it; then it is read again.
    expect(JSON.parse(await secrets.get(name)).username).to.equal("lethe_user_rotated_away");
    expect((await store.find(subjects)).count).to.equal(11);
    expect(JSON.parse(await secrets.get(name)).username).to.equal("postgres");
  });

  async function rowsVia(client: Client, table: string): Promise<number> {
    return Number((await client.query(`SELECT count(*) AS n FROM "${schema.name}".${table}`)).rows[0].n);
  }
});
