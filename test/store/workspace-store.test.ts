// The behavioural store suite: the same assertions on SQLite and on PostgreSQL.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { sql } from 'kysely';
import { openStore, type Store } from '../../src/store/db.ts';
import { MIGRATIONS } from '../../src/store/migrations/index.ts';
import { UniqueViolation, WorkspaceStore } from '../../src/workspaces/store.ts';
import type { WorkspaceRecord } from '../../src/workspaces/types.ts';
import { scratchDir } from '../helpers/app.ts';
import { forEachDialect } from '../helpers/dialects.ts';

function record(overrides: Partial<WorkspaceRecord> = {}): WorkspaceRecord {
  const n = Math.random().toString(16).slice(2, 10);
  return {
    id: `ws_${n.padEnd(16, '0')}`,
    stable_id: '01JABCDEFGHJKMNPQRSTVWXYZ0',
    name: `name-${n}`,
    root_dir: `/roots/${n}`,
    root_dev: '2049',
    root_ino: n,
    add_dirs: [],
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

forEachDialect('workspace store', ({ dialect, newDatabase }) => {
  let location: string;
  let store: Store;
  let workspaces: WorkspaceStore;
  beforeEach(async () => {
    location = (await newDatabase()) ?? join(scratchDir('agh-store-'), 'agh.db');
    store = await openStore({ location });
    workspaces = new WorkspaceStore(store.db);
  });
  afterEach(async () => store.close());

  test('opens on the expected dialect with every migration applied, and re-opening is a no-op', async () => {
    assert.equal(store.dialect, dialect);
    const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
      store.db,
    );
    assert.deepEqual(
      applied.rows.map((r) => r.name),
      Object.keys(MIGRATIONS),
    );
    await workspaces.insert(record({ name: 'survivor' }));
    const again = await openStore({ location });
    try {
      assert.equal((await new WorkspaceStore(again.db).list()).length, 1);
    } finally {
      await again.close();
    }
  });

  if (dialect === 'sqlite') {
    test('SQLite runs in WAL mode with synchronous=FULL and foreign keys on', async () => {
      const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
      assert.equal(mode.rows[0]?.journal_mode, 'wal');
      const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db);
      assert.equal(sync.rows[0]?.synchronous, 2);
      const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(store.db);
      assert.equal(fk.rows[0]?.foreign_keys, 1);
    });
  }

  test('insert, find by every key, and round-trip all fields', async () => {
    const full = record({ add_dirs: ['/a', '/b'], default_agent: 'coder', sandbox_ref: 'local' });
    await workspaces.insert(full);
    assert.deepEqual(await workspaces.findById(full.id), full);
    assert.deepEqual(await workspaces.findByName(full.name), full);
    assert.deepEqual(await workspaces.findByRootDir(full.root_dir), full);
    assert.deepEqual(await workspaces.findByStableId(full.stable_id), full);
    assert.deepEqual(await workspaces.findByInode(full.root_dev, full.root_ino), [full]);
    assert.deepEqual(await workspaces.findByInode('1', '1'), []);
    assert.equal(await workspaces.findById('ws_missing'), undefined);
    const bare = record();
    await workspaces.insert(bare);
    const got = await workspaces.findById(bare.id);
    assert.equal(got?.default_agent, undefined);
    assert.equal(got?.sandbox_ref, undefined);
  });

  test('list orders by name then id', async () => {
    await workspaces.insert(record({ name: 'b' }));
    await workspaces.insert(record({ name: 'a' }));
    await workspaces.insert(record({ name: 'c' }));
    assert.deepEqual(
      (await workspaces.list()).map((w) => w.name),
      ['a', 'b', 'c'],
    );
  });

  test('duplicate name, root or id raise UniqueViolation naming the field, and write nothing', async () => {
    const first = record({ name: 'one', root_dir: '/one' });
    await workspaces.insert(first);
    const cases: [Partial<WorkspaceRecord>, string][] = [
      [{ name: 'one' }, 'name'],
      [{ root_dir: '/one' }, 'root_dir'],
      [{ id: first.id }, 'id'],
    ];
    for (const [overrides, field] of cases) {
      await assert.rejects(workspaces.insert(record(overrides)), (err: unknown) => {
        assert.ok(err instanceof UniqueViolation);
        assert.equal(err.field, field);
        return true;
      });
    }
    assert.equal((await workspaces.list()).length, 1);
  });

  test('concurrent inserts of one name: exactly one wins', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => workspaces.insert(record({ name: 'contested' }))),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) {
      if (r.status === 'rejected') assert.ok(r.reason instanceof UniqueViolation);
    }
  });

  test('update changes only the given fields and reports missing rows', async () => {
    const w = record({ default_agent: 'a', sandbox_ref: 's' });
    await workspaces.insert(w);
    assert.equal(
      await workspaces.update(w.id, { name: 'renamed', updated_at: '2026-02-02T00:00:00.000Z' }),
      true,
    );
    const got = await workspaces.findById(w.id);
    assert.equal(got?.name, 'renamed');
    assert.equal(got?.default_agent, 'a');
    assert.equal(got?.updated_at, '2026-02-02T00:00:00.000Z');
    await workspaces.update(w.id, { default_agent: null, add_dirs: ['/x'], updated_at: w.updated_at });
    const cleared = await workspaces.findById(w.id);
    assert.equal(cleared?.default_agent, undefined);
    assert.deepEqual(cleared?.add_dirs, ['/x']);
    assert.equal(await workspaces.update('ws_missing', { name: 'x', updated_at: w.updated_at }), false);
    const other = record({ name: 'other' });
    await workspaces.insert(other);
    await assert.rejects(
      workspaces.update(other.id, { name: 'renamed', updated_at: w.updated_at }),
      UniqueViolation,
    );
  });

  test('delete removes one row and reports missing rows', async () => {
    const w = record();
    await workspaces.insert(w);
    assert.equal(await workspaces.delete(w.id), true);
    assert.equal(await workspaces.delete(w.id), false);
    assert.deepEqual(await workspaces.list(), []);
  });

  test('findByStableId returns the oldest registration when a copied directory shares the identity', async () => {
    const newer = record({ stable_id: '01JZZZZZZZZZZZZZZZZZZZZZZZ', created_at: '2026-05-01T00:00:00.000Z' });
    const older = record({ stable_id: '01JZZZZZZZZZZZZZZZZZZZZZZZ', created_at: '2026-04-01T00:00:00.000Z' });
    await workspaces.insert(newer);
    await workspaces.insert(older);
    assert.equal((await workspaces.findByStableId('01JZZZZZZZZZZZZZZZZZZZZZZZ'))?.id, older.id);
  });
});
