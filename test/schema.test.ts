import { env } from "cloudflare:test";
import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { FEED_ITEM_COLUMNS, feedItems, schema } from "../src/db/schema";

/**
 * The SQL in migrations/ is the schema; src/db/schema.ts is drizzle's view of
 * it. These tests fail when the two disagree, on the migrated shard.
 */

interface ColumnInfo {
  name: string;
  type: string;
  notnull: number;
  pk: number;
  dflt_value: string | null;
}

const shard = () => env.SHARD_0!;

async function tableInfo(table: string): Promise<ColumnInfo[]> {
  const { results } = await shard().prepare(`PRAGMA table_info(${table})`).all<ColumnInfo>();
  return results;
}

/** A drizzle default as SQLite's table_info prints it. */
function sqlDefault(value: unknown): string | null {
  if (value === undefined) return null;
  if (typeof value === "string") return `'${value}'`;
  if (typeof value === "boolean") return value ? "1" : "0";
  return String(value);
}

function drizzleColumns(table: SQLiteTable) {
  const config = getTableConfig(table);
  const compositeKey = config.primaryKeys[0]?.columns.map((column) => column.name) ?? [];
  return config.columns.map((column) => ({
    name: column.name,
    type: column.getSQLType().toUpperCase(),
    notnull: column.notNull || column.primary ? 1 : 0,
    primary: column.primary || compositeKey.includes(column.name),
    dflt_value: column.hasDefault ? sqlDefault(column.default) : null,
  }));
}

describe("drizzle's schema matches the migrated database", () => {
  for (const table of Object.values(schema)) {
    const name = getTableConfig(table).name;

    it(`${name}: same columns, types, NOT NULL, keys and defaults`, async () => {
      const actual = (await tableInfo(name)).map((column) => ({
        name: column.name,
        type: column.type.toUpperCase(),
        // A primary key is NOT NULL whether or not the SQL says so.
        notnull: column.notnull || column.pk ? 1 : 0,
        primary: column.pk > 0,
        dflt_value: column.dflt_value,
      }));
      expect(actual.length).toBeGreaterThan(0);
      expect(drizzleColumns(table)).toEqual(actual);
    });

    it(`${name}: every index drizzle declares exists, on the same columns`, async () => {
      const declared = getTableConfig(table).indexes.map((index) => ({
        name: index.config.name,
        unique: index.config.unique,
        columns: index.config.columns.map((column) => ("name" in column ? column.name : String(column))),
      }));
      for (const index of declared) {
        const { results } = await shard()
          .prepare(`SELECT name FROM pragma_index_info(?1) ORDER BY seqno`)
          .bind(index.name)
          .all<{ name: string }>();
        expect(
          results.map((row) => row.name),
          index.name,
        ).toEqual(index.columns);
        const listed = await shard()
          .prepare(`SELECT "unique" FROM pragma_index_list(?1) WHERE name = ?2`)
          .bind(name, index.name)
          .first<{ unique: number }>();
        expect(listed?.unique === 1, `${index.name} unique`).toBe(index.unique);
      }
    });
  }

  it("events: the table's UNIQUE constraint drizzle declares is the one SQLite enforces", async () => {
    const declared = getTableConfig(schema.events).uniqueConstraints.map((constraint) =>
      constraint.columns.map((column) => column.name),
    );
    const { results } = await shard()
      .prepare(
        `SELECT group_concat(info.name) AS columns FROM pragma_index_list('events') AS list
         JOIN pragma_index_info(list.name) AS info WHERE list.origin = 'u' GROUP BY list.name`,
      )
      .all<{ columns: string }>();
    expect(declared).toEqual([["user_id", "source_event_id"]]);
    expect(results.map((row) => row.columns.split(","))).toEqual(declared);
  });

  it("the archive's column list is every column of feed_items, in order", async () => {
    expect([...FEED_ITEM_COLUMNS]).toEqual((await tableInfo("feed_items")).map((column) => column.name));
    expect([...FEED_ITEM_COLUMNS]).toEqual(getTableConfig(feedItems).columns.map((column) => column.name));
  });
});
