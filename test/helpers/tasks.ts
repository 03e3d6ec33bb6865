// Helpers for task-kernel tests: real process sessions that act through the agent API, and session
// rows for store-level tests that exercise the claim path without processes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Services } from '../../src/daemon/services.ts';
import { SessionStore } from '../../src/sessions/store.ts';
import { EMPTY_POLICY } from '../../src/sessions/types.ts';
import type { Store } from '../../src/store/db.ts';
import type { TaskRecord } from '../../src/tasks/records.ts';
import { FAKE_PROCESS_AGENT, fixtureCommand, putAgent } from './agents.ts';
import type { TestApp } from './app.ts';

export interface AgentSession {
  id: string;
  agent: string;
  headers: Record<string, string>;
}

/** Starts a real process session (the fake process agent, which stays up) in `root`'s workspace. */
export async function startProcessSession(
  t: TestApp,
  root: string,
  workspace: string,
  agent = 'worker',
): Promise<AgentSession> {
  putAgent(root, agent, {
    provider: 'process',
    command: fixtureCommand(FAKE_PROCESS_AGENT, '--calls=/api/agent/me'),
  });
  const created = await t.api.post('/api/sessions', { body: { agent_name: agent, workspace } });
  assert.equal(created.status, 201, created.text);
  const id = created.body.session.id as string;
  return { id, agent, headers: { 'x-agh-session-id': id, 'x-agh-agent': agent } };
}

/** An `active` session row with no process behind it: enough for the claim path's checks. */
export async function insertActiveSession(
  store: Store,
  workspaceId: string,
  agent = 'worker',
  channel?: string,
): Promise<AgentSession> {
  const id = `sess-${randomBytes(8).toString('hex')}`;
  await new SessionStore(store.db, store.dialect).insert({
    id,
    workspace_id: workspaceId,
    workspace_path: '/nowhere',
    agent_name: agent,
    type: 'user',
    runner: 'process',
    provider: 'process',
    command: ['true'],
    state: 'active',
    owner: 'test',
    permission_mode: 'approve_all',
    ...(channel !== undefined && { channel }),
    lineage: {
      root_session_id: id,
      spawn_depth: 0,
      ttl_expires_at: null,
      auto_stop_on_parent: false,
      spawn_budget: { max_children: 0, max_depth: 0, ttl_seconds: 0 },
      permission_policy: EMPTY_POLICY,
    },
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
  });
  return { id, agent, headers: { 'x-agh-session-id': id, 'x-agh-agent': agent } };
}

/**
 * Whether a claim-next long poll of a session in `workspaceId` is registered. A poll registers before
 * it first looks for work, so anything enqueued from then on is either found by that look or wakes
 * it: tests wait for this (with `eventually`) before they enqueue, instead of sleeping.
 */
export function longPollWaiting(services: Services, workspaceId: string): boolean {
  const work = { scope: 'workspace', workspace_id: workspaceId, priority: 'urgent', owner: null };
  return services.leases.hasEligibleWaiter(work as TaskRecord);
}
