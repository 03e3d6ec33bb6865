// SQL over tasks and their dependency edges. Bound to the database or to one transaction.
import { type Kysely, sql, type Updateable } from 'kysely';
import type { Dialect } from '../../store/db.ts';
import type { TaskTable, Tables } from '../../store/schema.ts';
import { type TaskRecord, taskFromRow } from '../records.ts';
import type { ApprovalState, OwnerKind, Scope, TaskPriority, TaskStatus } from '../types.ts';

export interface TaskListFilter {
  scope?: Scope;
  workspace_id?: string;
  status?: TaskStatus;
  priority?: TaskPriority;
  include_drafts?: boolean;
  approval_state?: ApprovalState;
  owner_kind?: OwnerKind;
  owner_ref?: string;
  parent_task_id?: string;
  network_channel?: string;
  query?: string;
  /** 0 or absent: no limit. */
  limit?: number;
}

export interface DependencyRow {
  task_id: string;
  depends_on_task_id: string;
  kind: string;
  created_at: string;
}

export class TaskRows {
  readonly #db: Kysely<Tables>;
  readonly #dialect: Dialect;

  constructor(db: Kysely<Tables>, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async get(id: string, lock = false): Promise<TaskRecord | undefined> {
    const row = await this.#db
      .selectFrom('tasks')
      .selectAll()
      .where('id', '=', id)
      .$if(lock && this.#dialect === 'postgres', (q) => q.forUpdate())
      .executeTakeFirst();
    return row ? taskFromRow(row) : undefined;
  }

  async getMany(ids: readonly string[]): Promise<Map<string, TaskRecord>> {
    const out = new Map<string, TaskRecord>();
    if (ids.length === 0) return out;
    for (const chunk of chunks(ids)) {
      const rows = await this.#db.selectFrom('tasks').selectAll().where('id', 'in', chunk).execute();
      for (const row of rows) out.set(row.id, taskFromRow(row));
    }
    return out;
  }

  async insert(row: TaskTable): Promise<void> {
    await this.#db.insertInto('tasks').values(row).execute();
  }

  async update(id: string, set: Updateable<TaskTable>): Promise<void> {
    await this.#db.updateTable('tasks').set(set).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.#db.deleteFrom('events').where('scope_kind', '=', 'task').where('scope_id', '=', id).execute();
    await this.#db.deleteFrom('task_run_idempotency').where('task_id', '=', id).execute();
    await this.#db.deleteFrom('task_runs').where('task_id', '=', id).execute();
    await this.#db
      .deleteFrom('task_dependencies')
      .where((eb) => eb.or([eb('task_id', '=', id), eb('depends_on_task_id', '=', id)]))
      .execute();
    await this.#db.deleteFrom('tasks').where('id', '=', id).execute();
  }

  async exists(id: string): Promise<boolean> {
    const row = await this.#db.selectFrom('tasks').select('id').where('id', '=', id).executeTakeFirst();
    return row !== undefined;
  }

  async list(filter: TaskListFilter): Promise<TaskRecord[]> {
    let q = this.#db.selectFrom('tasks').selectAll();
    if (filter.scope) q = q.where('scope', '=', filter.scope);
    if (filter.workspace_id) q = q.where('workspace_id', '=', filter.workspace_id);
    if (filter.status) q = q.where('status', '=', filter.status);
    else if (!filter.include_drafts) q = q.where('status', '!=', 'draft');
    if (filter.priority) q = q.where('priority', '=', filter.priority);
    if (filter.approval_state) q = q.where('approval_state', '=', filter.approval_state);
    if (filter.owner_kind) q = q.where('owner_kind', '=', filter.owner_kind);
    if (filter.owner_ref) q = q.where('owner_ref', '=', filter.owner_ref);
    if (filter.parent_task_id) q = q.where('parent_task_id', '=', filter.parent_task_id);
    if (filter.network_channel) q = q.where('network_channel', '=', filter.network_channel);
    if (filter.query) {
      const like = `%${filter.query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      // ESCAPE makes % and _ in the query literal on both dialects.
      q = q.where(
        sql<boolean>`(lower(title) like ${like} escape '\\' or lower(identifier) like ${like} escape '\\')`,
      );
    }
    q = q.orderBy('last_activity_at', 'desc').orderBy('updated_at', 'desc').orderBy('id', 'desc');
    if (filter.limit) q = q.limit(filter.limit);
    return (await q.execute()).map(taskFromRow);
  }

  async children(parentId: string): Promise<TaskRecord[]> {
    const rows = await this.#db
      .selectFrom('tasks')
      .selectAll()
      .where('parent_task_id', '=', parentId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(taskFromRow);
  }

  async childCounts(ids: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const chunk of chunks(ids)) {
      const rows = await this.#db
        .selectFrom('tasks')
        .select(['parent_task_id', (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('parent_task_id', 'in', chunk)
        .groupBy('parent_task_id')
        .execute();
      for (const row of rows) if (row.parent_task_id) out.set(row.parent_task_id, Number(row.n));
    }
    return out;
  }

  /** The task and every descendant, breadth first (root first). */
  async subtree(rootId: string): Promise<TaskRecord[]> {
    const root = await this.get(rootId);
    if (!root) return [];
    const out = [root];
    let frontier = [root.id];
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const chunk of chunks(frontier)) {
        const rows = await this.#db
          .selectFrom('tasks')
          .selectAll()
          .where('parent_task_id', 'in', chunk)
          .orderBy('created_at')
          .orderBy('id')
          .execute();
        for (const row of rows) {
          out.push(taskFromRow(row));
          next.push(row.id);
        }
      }
      frontier = next;
    }
    return out;
  }

  // ---- dependencies

  async dependencies(taskId: string): Promise<DependencyRow[]> {
    return this.#db
      .selectFrom('task_dependencies')
      .selectAll()
      .where('task_id', '=', taskId)
      .orderBy('created_at')
      .orderBy('depends_on_task_id')
      .execute();
  }

  async dependenciesOf(taskIds: readonly string[]): Promise<DependencyRow[]> {
    const out: DependencyRow[] = [];
    for (const chunk of chunks(taskIds)) {
      out.push(
        ...(await this.#db
          .selectFrom('task_dependencies')
          .selectAll()
          .where('task_id', 'in', chunk)
          .orderBy('created_at')
          .orderBy('depends_on_task_id')
          .execute()),
      );
    }
    return out;
  }

  async dependents(taskId: string): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('task_dependencies')
      .select('task_id')
      .where('depends_on_task_id', '=', taskId)
      .execute();
    return rows.map((r) => r.task_id);
  }

  /** True when some dependency of the task is not completed (its persisted status is current). */
  async hasUnresolvedDependency(taskId: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom('task_dependencies as d')
      .innerJoin('tasks as t', 't.id', 'd.depends_on_task_id')
      .select('d.depends_on_task_id')
      .where('d.task_id', '=', taskId)
      .where('t.status', '!=', 'completed')
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async addDependency(row: DependencyRow): Promise<void> {
    await this.#db.insertInto('task_dependencies').values(row).execute();
  }

  async removeDependency(taskId: string, dependsOn: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('task_dependencies')
      .where('task_id', '=', taskId)
      .where('depends_on_task_id', '=', dependsOn)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** True when `from` already depends, directly or transitively, on `to`. */
  async dependsTransitively(from: string, to: string): Promise<boolean> {
    const seen = new Set<string>([from]);
    let frontier = [from];
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const chunk of chunks(frontier)) {
        const rows = await this.#db
          .selectFrom('task_dependencies')
          .select('depends_on_task_id')
          .where('task_id', 'in', chunk)
          .execute();
        for (const { depends_on_task_id: id } of rows) {
          if (id === to) return true;
          if (!seen.has(id)) {
            seen.add(id);
            next.push(id);
          }
        }
      }
      frontier = next;
    }
    return false;
  }
}

/** Keeps `IN (…)` lists well under both dialects' parameter limits. */
export function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
