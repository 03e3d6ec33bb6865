// The catalogue of the one event log: every event type, the kind of scope it belongs to and the
// schema of its payload. Writers are typed by it (an unknown type or a wrong payload does not
// compile) and readers — timelines, streams, consumers — can rely on what each type carries.
import { z } from 'zod';
import { TASK_EVENTS } from './task-events.ts';
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

/** Each event type with the kind of scope its events are written under and its payload's schema. */
export const EVENT_CATALOGUE = {
  ...scoped('task', TASK_EVENTS),
  ...scoped('session', SESSION_EVENTS),
};

export type EventType = keyof typeof EVENT_CATALOGUE;
/** A payload as the log holds it (what readers get). */
export type EventPayload<T extends EventType> = z.output<(typeof EVENT_CATALOGUE)[T]['schema']>;
export type EventScopeOf<T extends EventType> = (typeof EVENT_CATALOGUE)[T]['scope'];

/** Any catalogued event; switching on `type` narrows `scope_kind` and `payload`. */
export type CatalogueEvent = {
  [T in EventType]: { type: T; scope_kind: EventScopeOf<T>; payload: EventPayload<T> };
}[EventType];

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(EVENT_CATALOGUE, type);
}

type Scoped<K extends EventScopeKind, E> = { [T in keyof E]: { scope: K; schema: E[T] } };

function scoped<K extends EventScopeKind, E extends Record<string, z.ZodType>>(scope: K, events: E): Scoped<K, E> {
  // Object.fromEntries loses the keys' types; the mapped type above restores them.
  return Object.fromEntries(
    Object.entries(events).map(([type, schema]) => [type, { scope, schema }]),
  ) as Scoped<K, E>;
}
