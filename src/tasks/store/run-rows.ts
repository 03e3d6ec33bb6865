// SQL over task runs (the one work queue), their idempotency keys and the claim selection.
import { type Insertable, type Kysely, sql, type Updateable } from 'kysely';
import type { Dialect } from '../../store/db.ts';
import type { TaskRunTable, Tables } from '../../store/schema.ts';
import { type RunRecord, runFromRow } from '../records.ts';
import { ACTIVE_RUN_STATUSES, OPEN_RUN_STATUSES, type RunStatus } from '../types.ts';
import { chunks } from './task-rows.ts';

export interface ClaimCriteria {
  now: string;
  sessionId: string;
  agentName: string;
  /** Workspace tasks of this workspace are eligible (global tasks always are). */
  workspaceId: string | null;
  /** Only this workspace's tasks, not global ones (the caller named its workspace). */
  workspaceOnly: boolean;
  /** The session's channel: only runs coordinated on it. */
  channel: string | null;
  priorityMin: number | null;
}

export interface RunFilter {
  status?: RunStatus;
  session_id?: string;
  limit?: number;
}

export class RunRows {
  readonly #db: Kysely<Tables>;
  readonly #dialect: Dialect;

  constructor(db: Kysely<Tables>, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async get(id: string, lock = false): Promise<RunRecord | undefined> {
    const row = await this.#db
      .selectFrom('task_runs')
      .selectAll()
      .where('id', '=', id)
      .$if(lock && this.#dialect === 'postgres', (q) => q.forUpdate())
      .executeTakeFirst();
    return row ? runFromRow(row) : undefined;
  }

  async insert(row: Insertable<TaskRunTable>): Promise<void> {
    await this.#db.insertInto('task_runs').values(row).execute();
  }

  /**
   * Compare-and-swap: the update applies only while the run still has `expected` status (and, when
   * given, the same claim hash and session). Returns false when someone else got there first.
   */
  async update(
    id: string,
    set: Updateable<TaskRunTable>,
    expected: {
      status?: RunStatus | readonly RunStatus[];
      claimHash?: string | null;
      sessionId?: string | null;
    } = {},
  ): Promise<boolean> {
    let q = this.#db.updateTable('task_runs').set(set).where('id', '=', id);
    if (typeof expected.status === 'string') q = q.where('status', '=', expected.status);
    else if (expected.status) q = q.where('status', 'in', [...expected.status]);
    if (expected.claimHash === null) q = q.where('claim_token_hash', 'is', null);
    else if (expected.claimHash !== undefined) q = q.where('claim_token_hash', '=', expected.claimHash);
    if (expected.sessionId === null) q = q.where('session_id', 'is', null);
    else if (expected.sessionId !== undefined) q = q.where('session_id', '=', expected.sessionId);
    const result = await q.executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async ofTask(taskId: string, filter: RunFilter = {}): Promise<RunRecord[]> {
    let q = this.#db.selectFrom('task_runs').selectAll().where('task_id', '=', taskId);
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.session_id) q = q.where('session_id', '=', filter.session_id);
    q = q.orderBy('queued_at', 'desc').orderBy('attempt', 'desc');
    if (filter.limit) q = q.limit(filter.limit);
    return (await q.execute()).map(runFromRow);
  }

  async ofTasks(taskIds: readonly string[]): Promise<RunRecord[]> {
    const out: RunRecord[] = [];
    for (const chunk of chunks(taskIds)) {
      const rows = await this.#db.selectFrom('task_runs').selectAll().where('task_id', 'in', chunk).execute();
      out.push(...rows.map(runFromRow));
    }
    return out;
  }

  async getMany(ids: readonly string[]): Promise<Map<string, RunRecord>> {
    const out = new Map<string, RunRecord>();
    for (const chunk of chunks(ids)) {
      const rows = await this.#db.selectFrom('task_runs').selectAll().where('id', 'in', chunk).execute();
      for (const row of rows) out.set(row.id, runFromRow(row));
    }
    return out;
  }

  async openRunOf(taskId: string): Promise<RunRecord | undefined> {
    const row = await this.#db
      .selectFrom('task_runs')
      .selectAll()
      .where('task_id', '=', taskId)
      .where('status', 'in', [...OPEN_RUN_STATUSES])
      .executeTakeFirst();
    return row ? runFromRow(row) : undefined;
  }

  /** Runs of the session that still hold ownership (any status in claimed/starting/running). */
  async activeOfSession(sessionId: string): Promise<RunRecord[]> {
    const rows = await this.#db
      .selectFrom('task_runs')
      .selectAll()
      .where('session_id', '=', sessionId)
      .where('status', 'in', [...ACTIVE_RUN_STATUSES])
      .orderBy('claimed_at')
      .execute();
    return rows.map(runFromRow);
  }

  /** The run a retry or recover created from `id`, if any. */
  async retryOf(id: string): Promise<RunRecord | undefined> {
    const row = await this.#db
      .selectFrom('task_runs')
      .selectAll()
      .where('previous_run_id', '=', id)
      .executeTakeFirst();
    return row ? runFromRow(row) : undefined;
  }

  /** The live state of a session, read in the claim's own transaction. */
  async sessionState(sessionId: string): Promise<{ state: string; agent_name: string } | undefined> {
    return this.#db
      .selectFrom('sessions')
      .select(['state', 'agent_name'])
      .where('id', '=', sessionId)
      .executeTakeFirst();
  }

  /** Runs the session ever leased: a claim hash and this session, terminal ones included. */
  async leasedBySession(sessionId: string): Promise<RunRecord[]> {
    const rows = await this.#db
      .selectFrom('task_runs')
      .selectAll()
      .where('session_id', '=', sessionId)
      .where('claim_token_hash', 'is not', null)
      .execute();
    return rows.map(runFromRow);
  }

  /** The best claimable run for a session, locked against other claimers. */
  async claimCandidate(c: ClaimCriteria): Promise<RunRecord | undefined> {
    let q = this.#db
      .selectFrom('task_runs as r')
      .innerJoin('tasks as t', 't.id', 'r.task_id')
      .selectAll('r')
      .where('r.status', '=', 'queued')
      .where('t.status', 'not in', ['draft', 'blocked', 'canceled'])
      .where('t.paused_by_task_id', 'is', null)
      .where((eb) =>
        eb.or([
          eb('t.owner_kind', 'is', null),
          eb.and([eb('t.owner_kind', '=', 'pool'), eb('t.owner_ref', '=', c.agentName)]),
          eb.and([eb('t.owner_kind', '=', 'agent_session'), eb('t.owner_ref', '=', c.sessionId)]),
        ]),
      );
    if (c.workspaceOnly && c.workspaceId !== null) q = q.where('t.workspace_id', '=', c.workspaceId);
    else if (c.workspaceId !== null) {
      const ws = c.workspaceId;
      q = q.where((eb) =>
        eb.or([
          eb('t.scope', '=', 'global'),
          eb.and([eb('t.scope', '=', 'workspace'), eb('t.workspace_id', '=', ws)]),
        ]),
      );
    } else q = q.where('t.scope', '=', 'global');
    if (c.channel !== null) q = q.where('r.coordination_channel_id', '=', c.channel);
    if (c.priorityMin !== null) q = q.where('r.priority_weight', '>=', c.priorityMin);
    q = q.orderBy('r.priority_weight', 'desc').orderBy('r.queued_at').orderBy('r.id').limit(1);
    if (this.#dialect === 'postgres') q = q.forUpdate('r').skipLocked();
    const row = await q.executeTakeFirst();
    return row ? runFromRow(row) : undefined;
  }

  /** Leases that ran out (claimed, starting or running with lease_until ≤ now), oldest first. */
  async expiredLeases(now: string, limit: number): Promise<RunRecord[]> {
    const rows = await this.#db
      .selectFrom('task_runs')
      .selectAll()
      .where('status', 'in', [...ACTIVE_RUN_STATUSES])
      .where('lease_until', 'is not', null)
      .where('lease_until', '<=', now)
      .orderBy('lease_until')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(runFromRow);
  }

  async active(): Promise<RunRecord[]> {
    const rows = await this.#db
      .selectFrom('task_runs')
      .selectAll()
      .where('status', 'in', [...ACTIVE_RUN_STATUSES])
      .execute();
    return rows.map(runFromRow);
  }

  async countByStatus(): Promise<Map<string, number>> {
    const rows = await this.#db
      .selectFrom('task_runs')
      .select(['status', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('status', 'in', [...OPEN_RUN_STATUSES])
      .groupBy('status')
      .execute();
    return new Map(rows.map((r) => [r.status, Number(r.n)]));
  }

  /** Queued runs whose task is not effectively paused, queued at or before `before`. */
  async countStarved(before: string): Promise<number> {
    const row = await this.#db
      .selectFrom('task_runs as r')
      .innerJoin('tasks as t', 't.id', 'r.task_id')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('r.status', '=', 'queued')
      .where('r.queued_at', '<=', before)
      .where('t.paused_by_task_id', 'is', null)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Queued runs with their task ids, priority then age (the scheduler backlog). */
  async queued(filter: {
    workspaceId?: string;
    scope?: string;
    includePaused: boolean;
    limit: number;
  }): Promise<{ runs: RunRecord[]; total: number }> {
    let q = this.#db
      .selectFrom('task_runs as r')
      .innerJoin('tasks as t', 't.id', 'r.task_id')
      .where('r.status', '=', 'queued');
    if (filter.workspaceId) q = q.where('t.workspace_id', '=', filter.workspaceId);
    if (filter.scope) q = q.where('t.scope', '=', filter.scope);
    if (!filter.includePaused) q = q.where('t.paused_by_task_id', 'is', null);
    const total = await q.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst();
    const rows = await q
      .selectAll('r')
      .orderBy('r.priority_weight', 'desc')
      .orderBy('r.queued_at')
      .orderBy('r.id')
      .limit(filter.limit)
      .execute();
    return { runs: rows.map(runFromRow), total: Number(total?.n ?? 0) };
  }

  // ---- idempotency keys

  async idempotent(key: string, origin: { kind: string; ref: string }) {
    return this.#db
      .selectFrom('task_run_idempotency')
      .selectAll()
      .where('key', '=', key)
      .where('origin_kind', '=', origin.kind)
      .where('origin_ref', '=', origin.ref)
      .executeTakeFirst();
  }

  async saveIdempotency(row: {
    key: string;
    origin_kind: string;
    origin_ref: string;
    task_id: string;
    run_id: string;
    created_at: string;
  }): Promise<void> {
    await this.#db.insertInto('task_run_idempotency').values(row).execute();
  }

  /**
   * Claimable queued runs waiting since `before` or longer, in a scope (workspace, or global) where no
   * run is claimed, starting or running: the candidates of the starvation ladder.
   */
  async starving(before: string): Promise<RunRecord[]> {
    const rows = await this.#db
      .selectFrom('task_runs as r')
      .innerJoin('tasks as t', 't.id', 'r.task_id')
      .selectAll('r')
      .where('r.status', '=', 'queued')
      .where('r.queued_at', '<=', before)
      .where('t.paused_by_task_id', 'is', null)
      .where('t.status', 'not in', ['draft', 'blocked', 'canceled'])
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('task_runs as a')
              .innerJoin('tasks as at', 'at.id', 'a.task_id')
              .select('a.id')
              .where('a.status', 'in', [...ACTIVE_RUN_STATUSES])
              .where(sql<boolean>`coalesce(at.workspace_id, '') = coalesce(t.workspace_id, '')`),
          ),
        ),
      )
      .orderBy('r.queued_at')
      .limit(500)
      .execute();
    return rows.map(runFromRow);
  }

  /** Keeps the claim order of a task's open run (queued now or again later) in step with its priority. */
  async setPriority(taskId: string, weight: number): Promise<void> {
    await this.#db
      .updateTable('task_runs')
      .set({ priority_weight: weight })
      .where('task_id', '=', taskId)
      .where('status', 'in', [...OPEN_RUN_STATUSES])
      .execute();
  }

  /** Counts one more starvation cycle for a queued run. */
  async bumpWake(id: string): Promise<void> {
    await this.#db
      .updateTable('task_runs')
      .set({ wake_count: sql`wake_count + 1` })
      .where('id', '=', id)
      .where('status', '=', 'queued')
      .execute();
  }
}
