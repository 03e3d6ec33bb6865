/** A registered workspace as the API shows it. */
export interface Workspace {
  id: string;
  name: string;
  root_dir: string;
  add_dirs: string[];
  default_agent?: string;
  sandbox_ref?: string;
  created_at: string;
  updated_at: string;
}

/** The registry row plus the stable identity that is not on the wire. */
export interface WorkspaceRecord extends Workspace {
  stable_id: string;
  root_dev: string;
  root_ino: string;
}

export interface CreateWorkspaceInput {
  root_dir: string;
  name?: string;
  add_dirs?: string[];
  default_agent?: string;
  sandbox_ref?: string;
}

/** `undefined` or `null` keeps the current value; `''` clears default_agent / sandbox_ref; `[]` clears add_dirs. */
export interface UpdateWorkspaceInput {
  name?: string | null;
  add_dirs?: string[] | null;
  default_agent?: string | null;
  sandbox_ref?: string | null;
}
