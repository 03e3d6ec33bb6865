// The catalogue of the one event log: every event type, the kind of scope it belongs to and the
// schema of its payload. Writers are typed by it (an unknown type or a wrong payload does not
// compile) and readers — timelines, streams, consumers — can rely on what each type carries.
import { z } from 'zod';
import { FAILURE_KINDS, STOP_REASONS } from './vocabulary.ts';

/** What an event is about. Timelines and streams read one scope; consumers may read them all. */
export const EVENT_SCOPE_KINDS = ['task', 'session', 'workspace', 'squad', 'network'] as const;
export type EventScopeKind = (typeof EVENT_SCOPE_KINDS)[number];

const SessionFailure = z.object({ kind: z.enum(FAILURE_KINDS), summary: z.string() });

/** A session's lifecycle, written in the transaction that changes its state. */
export const SESSION_EVENTS = {
  'session.created': z.object({
    workspace_id: z.string(),
    agent: z.string(),
    runner: z.string(),
    type: z.string(),
    owner: z.string(),
    parent_session_id: z.string().optional(),
  }),
  'session.started': z.object({ workspace_id: z.string(), agent: z.string(), pid: z.number().optional() }),
  'session.stopped': z.object({
    workspace_id: z.string(),
    agent: z.string(),
    reason: z.enum(STOP_REASONS),
    detail: z.string().optional(),
    /** Marked stopped at boot: its daemon died while it was live. */
    recovered: z.boolean().optional(),
  }),
  'session.failed': z.object({
    workspace_id: z.string(),
    agent: z.string(),
    reason: z.enum(STOP_REASONS),
    detail: z.string().optional(),
    failure: SessionFailure,
  }),
} as const;

export type SessionEventType = keyof typeof SESSION_EVENTS;
export type SessionEventPayload<T extends SessionEventType> = z.input<(typeof SESSION_EVENTS)[T]>;
