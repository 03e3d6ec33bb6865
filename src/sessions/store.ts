// All SQL about sessions and their event logs lives here.
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Dialect } from '../store/db.ts';
import { EventLogRows, type LogEvent, type NewLogEvent } from '../store/event-log.ts';
import type { SessionEventTable, SessionTable, Tables } from '../store/schema.ts';
import type {
  FailureKind,
  RunnerKind,
  SessionRecord,
  SessionState,
  SessionType,
  StopReason,
} from './types.ts';

export interface SessionListFilter {
  workspace_id?: string;
  states?: readonly SessionState[];
  parent_session_id?: string;
  types?: readonly SessionType[];
}

export interface SessionEventRow {
  session_id: string;
  seq: number;
  type: string;
  data: Record<string, unknown>;
  created_at: string;
}

export type SessionPatch = Partial<
  Pick<
    SessionRecord,
    | 'state'
    | 'stop_reason'
    | 'stop_detail'
    | 'failure'
    | 'pid'
    | 'acp_session_id'
    | 'acp_caps'
    | 'last_activity_at'
    | 'stopped_at'
  >
> & { updated_at: string; token_hash?: string | null };

const LIVE: readonly SessionState[] = ['starting', 'active', 'stopping'];

export class SessionStore {
  readonly #db: Kysely<Tables>;
  readonly #dialect: Dialect;

  constructor(db: Kysely<Tables>, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  /** Inserts the session and appends its lifecycle events to the log, in one transaction. */
  async insert(record: SessionRecord, events: readonly NewLogEvent[] = []): Promise<LogEvent[]> {
    return this.#withEvents(events, (db) => db.insertInto('sessions').values(toRow(record)).execute());
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const row = await this.#db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async findByTokenHash(hash: string): Promise<SessionRecord | undefined> {
    const row = await this.#db
      .selectFrom('sessions')
      .selectAll()
      .where('token_hash', '=', hash)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /** Newest first. */
  async list(filter: SessionListFilter = {}): Promise<SessionRecord[]> {
    let q = this.#db.selectFrom('sessions').selectAll();
    if (filter.workspace_id !== undefined) q = q.where('workspace_id', '=', filter.workspace_id);
    if (filter.parent_session_id !== undefined)
      q = q.where('parent_session_id', '=', filter.parent_session_id);
    if (filter.states) q = q.where('state', 'in', [...filter.states]);
    if (filter.types) q = q.where('type', 'in', [...filter.types]);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map(toRecord);
  }

  async countLive(filter: { workspace_id?: string; parent_session_id?: string }): Promise<number> {
    let q = this.#db
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('state', 'in', [...LIVE]);
    if (filter.workspace_id !== undefined) q = q.where('workspace_id', '=', filter.workspace_id);
    if (filter.parent_session_id !== undefined)
      q = q.where('parent_session_id', '=', filter.parent_session_id);
    const row = await q.executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Live sessions this daemon was running: at boot, their processes are gone. */
  async liveOwnedBy(owner: string): Promise<SessionRecord[]> {
    const rows = await this.#db
      .selectFrom('sessions')
      .selectAll()
      .where('owner', '=', owner)
      .where('state', 'in', [...LIVE])
      .execute();
    return rows.map(toRecord);
  }

  /** Changes the session and appends its lifecycle events to the log, in one transaction. */
  async update(id: string, patch: SessionPatch, events: readonly NewLogEvent[] = []): Promise<LogEvent[]> {
    const set: Updateable<SessionTable> = { updated_at: patch.updated_at };
    if (patch.state !== undefined) set.state = patch.state;
    if (patch.stop_reason !== undefined) set.stop_reason = patch.stop_reason;
    if (patch.stop_detail !== undefined) set.stop_detail = patch.stop_detail;
    if (patch.failure !== undefined) {
      set.failure_kind = patch.failure.kind;
      set.failure_summary = patch.failure.summary ?? null;
    }
    if (patch.pid !== undefined) set.pid = patch.pid;
    if (patch.acp_session_id !== undefined) set.acp_session_id = patch.acp_session_id;
    if (patch.acp_caps !== undefined) set.acp_caps = JSON.stringify(patch.acp_caps);
    if (patch.last_activity_at !== undefined) set.last_activity_at = patch.last_activity_at;
    if (patch.stopped_at !== undefined) set.stopped_at = patch.stopped_at;
    if (patch.token_hash !== undefined) set.token_hash = patch.token_hash;
    return this.#withEvents(events, (db) =>
      db.updateTable('sessions').set(set).where('id', '=', id).execute(),
    );
  }

  async #withEvents(
    events: readonly NewLogEvent[],
    change: (db: Kysely<Tables>) => Promise<unknown>,
  ): Promise<LogEvent[]> {
    if (events.length === 0) {
      await change(this.#db);
      return [];
    }
    return this.#db.transaction().execute(async (trx) => {
      await change(trx);
      return new EventLogRows(trx, this.#dialect).append(events);
    });
  }

  async appendEvent(event: Omit<SessionEventRow, 'seq'>): Promise<SessionEventRow> {
    return this.#db.transaction().execute(async (trx) => {
      const last = await trx
        .selectFrom('session_events')
        .select((eb) => eb.fn.max<number | string | null>('seq').as('seq'))
        .where('session_id', '=', event.session_id)
        .executeTakeFirst();
      const seq = Number(last?.seq ?? 0) + 1;
      await trx
        .insertInto('session_events')
        .values({ ...event, seq, data: JSON.stringify(event.data) })
        .execute();
      return { ...event, seq };
    });
  }

  async listEvents(sessionId: string, afterSeq: number, limit: number): Promise<SessionEventRow[]> {
    const rows = await this.#db
      .selectFrom('session_events')
      .selectAll()
      .where('session_id', '=', sessionId)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map(toEvent);
  }
}

function toEvent(row: Selectable<SessionEventTable>): SessionEventRow {
  return { ...row, seq: Number(row.seq), data: JSON.parse(row.data) as Record<string, unknown> };
}

function toRow(r: SessionRecord): SessionTable {
  return {
    id: r.id,
    workspace_id: r.workspace_id,
    workspace_path: r.workspace_path,
    agent_name: r.agent_name,
    name: r.name ?? null,
    type: r.type,
    runner: r.runner,
    provider: r.provider,
    model: r.model ?? null,
    command: JSON.stringify(r.command),
    channel: r.channel ?? null,
    state: r.state,
    stop_reason: r.stop_reason ?? null,
    stop_detail: r.stop_detail ?? null,
    failure_kind: r.failure?.kind ?? null,
    failure_summary: r.failure?.summary ?? null,
    owner: r.owner,
    pid: r.pid ?? null,
    acp_session_id: r.acp_session_id ?? null,
    acp_caps: r.acp_caps ? JSON.stringify(r.acp_caps) : null,
    token_hash: r.token_hash ?? null,
    parent_session_id: r.lineage.parent_session_id ?? null,
    root_session_id: r.lineage.root_session_id,
    spawn_depth: r.lineage.spawn_depth,
    spawn_role: r.lineage.spawn_role ?? null,
    ttl_expires_at: r.lineage.ttl_expires_at,
    auto_stop_on_parent: r.lineage.auto_stop_on_parent ? 1 : 0,
    spawn_budget: JSON.stringify(r.lineage.spawn_budget),
    permission_policy: JSON.stringify(r.lineage.permission_policy),
    prompt_overlay: r.prompt_overlay ?? null,
    permission_mode: r.permission_mode,
    last_activity_at: r.last_activity_at ?? null,
    created_at: r.created_at,
    updated_at: r.updated_at,
    stopped_at: r.stopped_at ?? null,
  };
}

function toRecord(row: Selectable<SessionTable>): SessionRecord {
  const r: SessionRecord = {
    id: row.id,
    workspace_id: row.workspace_id,
    workspace_path: row.workspace_path,
    agent_name: row.agent_name,
    type: row.type as SessionType,
    runner: row.runner as RunnerKind,
    provider: row.provider,
    command: JSON.parse(row.command) as string[],
    state: row.state as SessionState,
    owner: row.owner,
    permission_mode: row.permission_mode as SessionRecord['permission_mode'],
    lineage: {
      root_session_id: row.root_session_id,
      spawn_depth: Number(row.spawn_depth),
      ttl_expires_at: row.ttl_expires_at,
      auto_stop_on_parent: Number(row.auto_stop_on_parent) === 1,
      spawn_budget: JSON.parse(row.spawn_budget) as SessionRecord['lineage']['spawn_budget'],
      permission_policy: JSON.parse(row.permission_policy) as SessionRecord['lineage']['permission_policy'],
    },
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
  if (row.name !== null) r.name = row.name;
  if (row.model !== null) r.model = row.model;
  if (row.channel !== null) r.channel = row.channel;
  if (row.stop_reason !== null) r.stop_reason = row.stop_reason as StopReason;
  if (row.stop_detail !== null) r.stop_detail = row.stop_detail;
  if (row.failure_kind !== null) {
    r.failure = { kind: row.failure_kind as FailureKind };
    if (row.failure_summary !== null) r.failure.summary = row.failure_summary;
  }
  if (row.pid !== null) r.pid = Number(row.pid);
  if (row.acp_session_id !== null) r.acp_session_id = row.acp_session_id;
  if (row.acp_caps !== null) r.acp_caps = JSON.parse(row.acp_caps) as SessionRecord['acp_caps'];
  if (row.token_hash !== null) r.token_hash = row.token_hash;
  if (row.parent_session_id !== null) r.lineage.parent_session_id = row.parent_session_id;
  if (row.spawn_role !== null) r.lineage.spawn_role = row.spawn_role;
  if (row.prompt_overlay !== null) r.prompt_overlay = row.prompt_overlay;
  if (row.last_activity_at !== null) r.last_activity_at = row.last_activity_at;
  if (row.stopped_at !== null) r.stopped_at = row.stopped_at;
  return r;
}
