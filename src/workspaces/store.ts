// All SQL about workspaces lives here.
import type { Kysely, Selectable } from 'kysely';
import { uniqueViolationColumn } from '../store/db.ts';
import type { Tables, WorkspaceTable } from '../store/schema.ts';
import type { WorkspaceRecord } from './types.ts';
import { compareCodeUnits } from '../lib/text.ts';

export class UniqueViolation extends Error {
  readonly field: 'name' | 'root_dir' | 'id';
  constructor(field: 'name' | 'root_dir' | 'id') {
    super(`unique violation on ${field}`);
    this.field = field;
  }
}

export interface WorkspacePatch {
  name?: string;
  add_dirs?: string[];
  default_agent?: string | null;
  sandbox_ref?: string | null;
  updated_at: string;
}

export class WorkspaceStore {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Tables>) {
    this.#db = db;
  }

  /**
   * Ordered by name in code-unit order on both dialects. ORDER BY would follow the database's
   * collation (PostgreSQL's is usually locale-aware, SQLite's binary), so the same registry would
   * list differently; the list is never paged, so sorting here costs nothing extra.
   */
  async list(): Promise<WorkspaceRecord[]> {
    const rows = await this.#db.selectFrom('workspaces').selectAll().execute();
    return rows
      .map(toRecord)
      .sort((a, b) => compareCodeUnits(a.name, b.name) || compareCodeUnits(a.id, b.id));
  }

  async findById(id: string): Promise<WorkspaceRecord | undefined> {
    return this.#findBy('id', id);
  }

  async findByName(name: string): Promise<WorkspaceRecord | undefined> {
    return this.#findBy('name', name);
  }

  async findByRootDir(rootDir: string): Promise<WorkspaceRecord | undefined> {
    return this.#findBy('root_dir', rootDir);
  }

  /** Oldest registration first: a copied repository may carry an identity that is already registered. */
  async findByStableId(stableId: string): Promise<WorkspaceRecord | undefined> {
    const row = await this.#db
      .selectFrom('workspaces')
      .selectAll()
      .where('stable_id', '=', stableId)
      .orderBy('created_at')
      .orderBy('id')
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /** Registrations whose root had this device and inode when registered. */
  async findByInode(dev: string, ino: string): Promise<WorkspaceRecord[]> {
    const rows = await this.#db
      .selectFrom('workspaces')
      .selectAll()
      .where('root_dev', '=', dev)
      .where('root_ino', '=', ino)
      .execute();
    return rows.map(toRecord);
  }

  async insert(record: WorkspaceRecord): Promise<void> {
    try {
      await this.#db
        .insertInto('workspaces')
        .values({
          id: record.id,
          stable_id: record.stable_id,
          root_dir: record.root_dir,
          root_dev: record.root_dev,
          root_ino: record.root_ino,
          add_dirs: JSON.stringify(record.add_dirs),
          name: record.name,
          default_agent: record.default_agent ?? null,
          sandbox_ref: record.sandbox_ref ?? null,
          created_at: record.created_at,
          updated_at: record.updated_at,
        })
        .execute();
    } catch (err) {
      throw translateUnique(err);
    }
  }

  /** Returns false when no row has this id. */
  async update(id: string, patch: WorkspacePatch): Promise<boolean> {
    const values: Partial<WorkspaceTable> = { updated_at: patch.updated_at };
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.add_dirs !== undefined) values.add_dirs = JSON.stringify(patch.add_dirs);
    if (patch.default_agent !== undefined) values.default_agent = patch.default_agent;
    if (patch.sandbox_ref !== undefined) values.sandbox_ref = patch.sandbox_ref;
    try {
      const result = await this.#db
        .updateTable('workspaces')
        .set(values)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    } catch (err) {
      throw translateUnique(err);
    }
  }

  /** Returns false when no row has this id. */
  async delete(id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('workspaces').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async #findBy(column: 'id' | 'name' | 'root_dir', value: string): Promise<WorkspaceRecord | undefined> {
    const row = await this.#db
      .selectFrom('workspaces')
      .selectAll()
      .where(column, '=', value)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }
}

function translateUnique(err: unknown): unknown {
  const column = uniqueViolationColumn(err);
  if (column === undefined) return err;
  if (column.includes('name')) return new UniqueViolation('name');
  if (column.includes('root_dir')) return new UniqueViolation('root_dir');
  return new UniqueViolation('id');
}

function toRecord(row: Selectable<WorkspaceTable>): WorkspaceRecord {
  const record: WorkspaceRecord = {
    id: row.id,
    stable_id: row.stable_id,
    root_dev: row.root_dev,
    root_ino: row.root_ino,
    name: row.name,
    root_dir: row.root_dir,
    add_dirs: JSON.parse(row.add_dirs) as string[],
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
  if (row.default_agent !== null) record.default_agent = row.default_agent;
  if (row.sandbox_ref !== null) record.sandbox_ref = row.sandbox_ref;
  return record;
}
