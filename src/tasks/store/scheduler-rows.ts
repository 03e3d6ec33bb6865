// SQL over the scheduler's one-row switch (paused or not, by whom, why).
import type { Kysely } from 'kysely';
import type { SchedulerStateTable, Tables } from '../../store/schema.ts';

export interface SchedulerRow {
  paused: boolean;
  paused_by: string | null;
  paused_at: string | null;
  paused_reason: string | null;
  updated_at: string | null;
}

export class SchedulerRows {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Tables>) {
    this.#db = db;
  }

  async get(): Promise<SchedulerRow> {
    const row = await this.#db
      .selectFrom('scheduler_state')
      .selectAll()
      .where('id', '=', 1)
      .executeTakeFirst();
    if (!row)
      return { paused: false, paused_by: null, paused_at: null, paused_reason: null, updated_at: null };
    return { ...row, paused: Number(row.paused) === 1 };
  }

  async set(state: Omit<SchedulerStateTable, 'id'>): Promise<void> {
    await this.#db.updateTable('scheduler_state').set(state).where('id', '=', 1).execute();
  }

  async countPausedTasks(): Promise<number> {
    const row = await this.#db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('paused', '=', 1)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
