// The session store on both dialects: records round-trip, live counts, token lookup, event order.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { SessionStore } from '../../src/sessions/store.ts';
import { EMPTY_POLICY, type SessionRecord } from '../../src/sessions/types.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { scratchDir } from '../helpers/app.ts';
import { forEachDialect } from '../helpers/dialects.ts';

let counter = 0;
function session(overrides: Partial<SessionRecord> = {}): SessionRecord {
  counter += 1;
  const id = `sess-${counter.toString(16).padStart(16, '0')}`;
  return {
    id,
    workspace_id: 'ws_0000000000000001',
    workspace_path: '/w',
    agent_name: 'coder',
    type: 'user',
    runner: 'acp',
    provider: 'claude',
    command: ['agent', '--acp'],
    state: 'active',
    owner: 'host:/home',
    permission_mode: 'approve_all',
    lineage: {
      root_session_id: id,
      spawn_depth: 0,
      ttl_expires_at: null,
      auto_stop_on_parent: false,
      spawn_budget: { max_children: 5, max_depth: 1, ttl_seconds: 0 },
      permission_policy: { ...EMPTY_POLICY, tools: ['read'] },
    },
    created_at: `2026-01-01T00:00:${String(counter % 60).padStart(2, '0')}.000Z`,
    updated_at: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

forEachDialect('session store', ({ newDatabase }) => {
  let store: Store;
  let sessions: SessionStore;
  beforeEach(async () => {
    store = await openStore({ location: (await newDatabase()) ?? join(scratchDir('agh-store-'), 'agh.db') });
    sessions = new SessionStore(store.db, store.dialect);
  });
  afterEach(async () => store.close());

  test('a record round-trips with its lineage, failure and optional fields', async () => {
    const parent = session({ name: 'lead', model: 'm1', channel: 'default', token_hash: 'a'.repeat(64) });
    const child = session({
      type: 'spawned',
      lineage: {
        parent_session_id: parent.id,
        root_session_id: parent.id,
        spawn_depth: 1,
        spawn_role: 'worker',
        ttl_expires_at: '2026-01-01T01:00:00.000Z',
        auto_stop_on_parent: true,
        spawn_budget: { max_children: 5, max_depth: 1, ttl_seconds: 3600, max_active_per_workspace: 0 },
        permission_policy: EMPTY_POLICY,
      },
      prompt_overlay: 'be brief',
    });
    await sessions.insert(parent);
    await sessions.insert(child);
    assert.deepEqual(await sessions.get(parent.id), parent);
    assert.deepEqual(await sessions.get(child.id), child);
    assert.deepEqual(await sessions.findByTokenHash('a'.repeat(64)), parent);
    assert.equal(await sessions.get('sess-ffffffffffffffff'), undefined);

    await sessions.update(parent.id, {
      state: 'stopped',
      stop_reason: 'agent_crashed',
      stop_detail: 'exit status 5',
      failure: { kind: 'process_exit', summary: 'exit status 5' },
      stopped_at: '2026-01-01T00:10:00.000Z',
      updated_at: '2026-01-01T00:10:00.000Z',
      token_hash: null,
    });
    const stopped = await sessions.get(parent.id);
    assert.equal(stopped?.state, 'stopped');
    assert.deepEqual(stopped?.failure, { kind: 'process_exit', summary: 'exit status 5' });
    assert.equal(stopped?.token_hash, undefined);
    assert.equal(await sessions.findByTokenHash('a'.repeat(64)), undefined);
  });

  test('live counts, filters and the boot-time recovery list', async () => {
    const a = session({ workspace_id: 'ws_a', owner: 'me' });
    const b = session({ workspace_id: 'ws_a', owner: 'other', state: 'starting' });
    const c = session({ workspace_id: 'ws_a', owner: 'me', state: 'stopped' });
    const d = session({ workspace_id: 'ws_b', owner: 'me', state: 'stopping' });
    for (const s of [a, b, c, d]) await sessions.insert(s);
    assert.equal(await sessions.countLive({ workspace_id: 'ws_a' }), 2);
    assert.equal(await sessions.countLive({ workspace_id: 'ws_c' }), 0);
    assert.deepEqual((await sessions.liveOwnedBy('me')).map((s) => s.id).sort(), [a.id, d.id].sort());
    assert.deepEqual(
      (await sessions.list({ workspace_id: 'ws_a' })).map((s) => s.id),
      [c.id, b.id, a.id],
      'newest first',
    );
    assert.deepEqual(
      (await sessions.list({ states: ['stopped'] })).map((s) => s.id),
      [c.id],
    );
  });

  test('events are numbered 1, 2, 3… per session and page by sequence', async () => {
    const s = session();
    await sessions.insert(s);
    for (let i = 0; i < 5; i++) {
      const row = await sessions.appendEvent({
        session_id: s.id,
        type: 'tick',
        data: { i },
        created_at: '2026-01-01T00:00:00.000Z',
      });
      assert.equal(row.seq, i + 1);
    }
    const other = await sessions.appendEvent({
      session_id: 'sess-other',
      type: 'x',
      data: {},
      created_at: '2026-01-01T00:00:00.000Z',
    });
    assert.equal(other.seq, 1);
    const page = await sessions.listEvents(s.id, 2, 2);
    assert.deepEqual(
      page.map((e) => [e.seq, e.data.i]),
      [
        [3, 2],
        [4, 3],
      ],
    );
  });
});
