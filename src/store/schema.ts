// Row types of every table, as Kysely sees them. Timestamps are ISO-8601 UTC text in both dialects,
// so they sort and compare the same way on SQLite and PostgreSQL.

export interface WorkspaceTable {
  id: string;
  stable_id: string;
  root_dir: string;
  /** Device and inode of root_dir when registered: finds the same directory under another path. */
  root_dev: string;
  root_ino: string;
  /** JSON array of canonical absolute paths. */
  add_dirs: string;
  name: string;
  default_agent: string | null;
  sandbox_ref: string | null;
  created_at: string;
  updated_at: string;
}

export interface Tables {
  workspaces: WorkspaceTable;
}
