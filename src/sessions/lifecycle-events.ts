// A session's lifecycle in the one event log (created, started, stopped, failed), so that timelines,
// consumers and the other daemons sharing a PostgreSQL database see sessions come and go. The
// token-by-token transcript stays in the session's own log; only state changes come here.
import type { Actor } from '../contract/actors.ts';
import { SESSION_EVENTS, type SessionEventPayload, type SessionEventType } from '../contract/events.ts';
import { newPrefixedId } from '../lib/ids.ts';
import type { NewLogEvent } from '../store/event-log.ts';
import type { SessionRecord } from './types.ts';

/** The session manager acting on its own: a start finishing, an agent exiting, boot recovery. */
export const SESSION_MANAGER_ACTOR: Actor = {
  actor: { kind: 'daemon', ref: 'sessions' },
  origin: { kind: 'daemon', ref: 'sessions' },
};

export function lifecycleEvent<T extends SessionEventType>(
  record: Pick<SessionRecord, 'id'>,
  type: T,
  payload: SessionEventPayload<T>,
  at: string,
  actor: Actor = SESSION_MANAGER_ACTOR,
): NewLogEvent {
  return {
    id: newPrefixedId('evt'),
    scope_kind: 'session',
    scope_id: record.id,
    run_id: null,
    type,
    actor: actor.actor,
    origin: actor.origin,
    // Checked here, where it is cheap (a handful per session), so that no malformed payload is stored.
    payload: SESSION_EVENTS[type].parse(payload) as Record<string, unknown>,
    at,
  };
}

/** The stop of a session as one event: `session.failed` when a failure ended it, else `session.stopped`. */
export function stopEvent(
  record: Pick<SessionRecord, 'id' | 'workspace_id' | 'agent_name'>,
  ending: { reason: SessionEventPayload<'session.stopped'>['reason']; detail?: string | undefined },
  failure: SessionEventPayload<'session.failed'>['failure'] | undefined,
  at: string,
  extra: { recovered?: boolean } = {},
): NewLogEvent {
  const base = { workspace_id: record.workspace_id, agent: record.agent_name, reason: ending.reason };
  const detail = ending.detail !== undefined && ending.detail !== '' ? { detail: ending.detail } : {};
  return failure
    ? lifecycleEvent(record, 'session.failed', { ...base, ...detail, failure }, at)
    : lifecycleEvent(record, 'session.stopped', { ...base, ...detail, ...extra }, at);
}

export function createdEvent(record: SessionRecord, at: string): NewLogEvent {
  return lifecycleEvent(
    record,
    'session.created',
    {
      workspace_id: record.workspace_id,
      agent: record.agent_name,
      runner: record.runner,
      type: record.type,
      owner: record.owner,
      ...(record.lineage.parent_session_id !== undefined && {
        parent_session_id: record.lineage.parent_session_id,
      }),
    },
    at,
  );
}

export function startedEvent(record: SessionRecord, pid: number | undefined, at: string): NewLogEvent {
  return lifecycleEvent(
    record,
    'session.started',
    { workspace_id: record.workspace_id, agent: record.agent_name, ...(pid !== undefined && { pid }) },
    at,
  );
}
