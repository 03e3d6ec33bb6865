// The rules of workspace registration. Knows nothing of HTTP: it takes plain inputs and throws
// AppError codes from the catalogue.
import { normalize } from 'node:path';
import type { AgentDefinition } from '../agents/definition.ts';
import type { AgentCatalog } from '../agents/catalog.ts';
import type { ProviderCatalog, ProviderInfo } from '../agents/providers.ts';
import type { Clock } from '../lib/clock.ts';
import type { SessionView as Session } from '../contract/sessions.ts';
import { AppError, isAppError } from '../lib/errors.ts';
import { isUlid, newWorkspaceId } from '../lib/ids.ts';
import { SerialQueue } from '../lib/serial.ts';
import { isWithin } from '../lib/paths.ts';
import { assertStorableText } from '../lib/text.ts';
import type { SkillInfo } from '../agents/skills.ts';
import { ensureIdentity } from './identity.ts';
import { derivedName, nameCandidates, validateName } from './names.ts';
import { type CanonicalDir, canonicalDir, canonicalEntry, isDirectory, sameDirectory } from './paths.ts';
import { UniqueViolation, type WorkspacePatch, type WorkspaceStore } from './store.ts';
import type { CreateWorkspaceInput, UpdateWorkspaceInput, Workspace, WorkspaceRecord } from './types.ts';

/** What the workspace service needs to know about sessions; the session manager provides it. */
export interface WorkspaceSessions {
  /** Every session (live or ended) that ran in the workspace, by registry id. */
  listForWorkspace(workspaceId: string): Promise<Session[]>;
  countLive(workspaceId: string): Promise<number>;
}

export interface WorkspaceDetail {
  workspace: Workspace;
  sessions: Session[];
  agents: AgentDefinition[];
  skills: SkillInfo[];
  providers: ProviderInfo[];
}

export interface WorkspaceServiceDeps {
  store: WorkspaceStore;
  clock: Clock;
  agents: AgentCatalog;
  providers: ProviderCatalog;
  /** The sessions of a workspace (the session manager, which is built on this service, provides them). */
  sessions: WorkspaceSessions;
}

const MAX_ADD_DIRS = 64;
/**
 * Roots are unique, and PostgreSQL cannot index a text value much over 2.7 KB; Linux paths may reach
 * 4 KB. A clear limit below the index's beats a 500 from deep in the store.
 */
const MAX_ROOT_DIR_BYTES = 2048;
const MAX_FIELD_LENGTH = 256;
/** Concurrent registrations may race for the same derived name; after this many losses give up. */
const NAME_RACE_RETRIES = 5;

export class WorkspaceService {
  readonly #store: WorkspaceStore;
  readonly #clock: Clock;
  readonly #registrations = new SerialQueue();
  readonly #agents: AgentCatalog;
  readonly #providers: ProviderCatalog;
  readonly #sessions: WorkspaceSessions;

  constructor(deps: WorkspaceServiceDeps) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#agents = deps.agents;
    this.#providers = deps.providers;
    this.#sessions = deps.sessions;
  }

  async list(): Promise<Workspace[]> {
    return (await this.#store.list()).map(toWire);
  }

  async create(input: CreateWorkspaceInput): Promise<Workspace> {
    return this.#registrations.run(() => this.#create(input));
  }

  /** The workspace registered at `path`; registers one with a derived name when there is none. */
  async resolvePath(path: string): Promise<Workspace> {
    return this.#registrations.run(() => this.#resolvePath(path));
  }

  async #create(input: CreateWorkspaceInput): Promise<Workspace> {
    const root = registrableRoot(await canonicalDir(input.root_dir, 'root_dir'), 'root_dir');
    const addDirs = await canonicalAddDirs(input.add_dirs ?? [], root.path);
    const defaultAgent = optionalText(input.default_agent, 'default_agent');
    const sandboxRef = optionalText(input.sandbox_ref, 'sandbox_ref');
    const explicitName = input.name === undefined ? undefined : validateName(input.name);

    const clash = await this.#findByDirectory(root);
    if (clash) {
      throw new AppError(
        'workspace_path_taken',
        `${root.path} is already registered as workspace "${clash.name}" (${clash.id})`,
        {
          evidence: { workspace_id: clash.id, root_dir: clash.root_dir },
          suggestedCommand: `agh workspace show ${clash.id}`,
        },
      );
    }
    if (explicitName !== undefined) {
      const owner = await this.#store.findByName(explicitName);
      if (owner) throw nameTaken(explicitName, owner);
    }
    return this.#register(root, { name: explicitName, addDirs, defaultAgent, sandboxRef });
  }

  /**
   * The workspace a directory would resolve to, without registering anything: the registered one,
   * or an unregistered preview (empty id) so that a request can be checked before it writes.
   */
  async previewPath(path: string): Promise<{ workspace: Workspace; registered: boolean }> {
    const dir = await canonicalDir(path, 'path');
    const existing = await this.#findByDirectory(dir);
    if (existing) return { workspace: toWire(existing), registered: true };
    registrableRoot(dir, 'path');
    const now = this.#clock.now().toISOString();
    return {
      workspace: {
        id: '',
        name: derivedName(dir.path),
        root_dir: dir.path,
        add_dirs: [],
        created_at: now,
        updated_at: now,
      },
      registered: false,
    };
  }

  async #resolvePath(path: string): Promise<Workspace> {
    const dir = await canonicalDir(path, 'path');
    const existing = await this.#findByDirectory(dir);
    if (existing) return toWire(existing);
    registrableRoot(dir, 'path');
    try {
      return await this.#register(dir, { addDirs: [] });
    } catch (err) {
      // Another request registered the same directory first: the winner is the answer.
      if (isAppError(err, 'workspace_path_taken')) {
        const winner = await this.#findByDirectory(dir);
        if (winner) return toWire(winner);
      }
      throw err;
    }
  }

  async get(ref: string): Promise<WorkspaceDetail> {
    const record = await this.find(ref, { allowInside: true });
    await assertRootPresent(record);
    // The catalogue follows no link inside workspaces; the operator's own home may link anywhere.
    const agents = await this.#agents.list(record);
    const skills = await this.#agents.skills(record);
    const sessions = await this.#sessions.listForWorkspace(record.id);
    return { workspace: toWire(record), sessions, agents, skills, providers: this.#providers.list() };
  }

  /** A workspace whose root still exists (410 otherwise), as sessions need it. */
  async findPresent(ref: string): Promise<Workspace> {
    const record = await this.find(ref);
    await assertRootPresent(record);
    return toWire(record);
  }

  async update(ref: string, input: UpdateWorkspaceInput): Promise<Workspace> {
    return this.#registrations.run(() => this.#update(ref, input));
  }

  async #update(ref: string, input: UpdateWorkspaceInput): Promise<Workspace> {
    const record = await this.find(ref);
    await assertRootPresent(record);
    const patch: WorkspacePatch = { updated_at: this.#clock.now().toISOString() };
    if (input.name !== undefined && input.name !== null) {
      patch.name = validateName(input.name);
      if (patch.name !== record.name) {
        const owner = await this.#store.findByName(patch.name);
        if (owner) throw nameTaken(patch.name, owner);
      }
    }
    if (input.add_dirs !== undefined && input.add_dirs !== null) {
      patch.add_dirs = await canonicalAddDirs(input.add_dirs, record.root_dir);
    }
    if (input.default_agent !== undefined && input.default_agent !== null) {
      patch.default_agent = optionalText(input.default_agent, 'default_agent') ?? null;
    }
    if (input.sandbox_ref !== undefined && input.sandbox_ref !== null) {
      patch.sandbox_ref = optionalText(input.sandbox_ref, 'sandbox_ref') ?? null;
    }
    try {
      if (!(await this.#store.update(record.id, patch))) throw notFound(ref);
    } catch (err) {
      if (err instanceof UniqueViolation && err.field === 'name' && patch.name) {
        throw nameTaken(patch.name);
      }
      throw err;
    }
    const updated = await this.#store.findById(record.id);
    if (!updated) throw notFound(ref);
    return toWire(updated);
  }

  async remove(ref: string): Promise<void> {
    const record = await this.find(ref);
    // Sessions that have ended never block this; only running ones do.
    const live = await this.#sessions.countLive(record.id);
    if (live > 0) {
      throw new AppError(
        'workspace_has_live_sessions',
        `workspace ${record.name} has ${live} live session${live === 1 ? '' : 's'}; stop ${live === 1 ? 'it' : 'them'} first`,
        { suggestedCommand: `agh session list --workspace ${record.id}` },
      );
    }
    if (!(await this.#store.delete(record.id))) throw notFound(ref);
  }

  /**
   * Resolves a reference as the API accepts it: a registry id (`ws_…`), a stable id (ULID), an
   * absolute path, or a name. Ids that match nothing fall back to a name lookup.
   * With `allowInside`, a path below a registered root finds that workspace (the deepest one).
   */
  async find(ref: string, options: { allowInside?: boolean } = {}): Promise<WorkspaceRecord> {
    if (ref.length === 0) throw new AppError('invalid_request', 'a workspace reference must not be empty');
    assertStorableText(ref, 'the workspace reference');
    if (ref.startsWith('/')) return this.#findByPath(ref, options.allowInside ?? false);
    let found: WorkspaceRecord | undefined;
    if (/^ws[_-]/.test(ref)) found = await this.#store.findById(ref);
    else if (isUlid(ref)) found = await this.#store.findByStableId(ref.toUpperCase());
    found ??= await this.#store.findByName(ref);
    if (!found) throw notFound(ref);
    return found;
  }

  async #findByPath(ref: string, allowInside: boolean): Promise<WorkspaceRecord> {
    let entry;
    try {
      entry = await canonicalEntry(ref, 'path');
    } catch (err) {
      // A workspace whose directory was deleted is still named by the path it was registered under,
      // so that it can be removed.
      const recorded = isAppError(err, 'workspace_path_missing') ? await this.#recordedRoot(ref) : undefined;
      if (recorded) return recorded;
      throw err;
    }
    if (entry.directory) {
      const exact = await this.#findByDirectory(entry);
      if (exact) return exact;
    } else if (!allowInside) {
      // Changing or removing takes a root, never a file, unless a file now stands where a root was.
      const recorded = await this.#recordedRoot(ref);
      if (recorded) return recorded;
      await canonicalDir(ref, 'path');
    }
    if (allowInside) {
      // Below a root any file will do (`agh workspace show src/main.ts`): the deepest root wins.
      const containing = (await this.#store.list())
        .filter((w) => isWithin(w.root_dir, entry.path))
        .sort((a, b) => b.root_dir.length - a.root_dir.length)[0];
      if (containing) return containing;
    }
    throw notFound(ref);
  }

  /**
   * The registration whose recorded root is `ref` taken literally. Only for paths without `..`:
   * after a symlink, `..` means something else to the kernel than to the text.
   */
  async #recordedRoot(ref: string): Promise<WorkspaceRecord | undefined> {
    if (ref.split('/').includes('..')) return undefined;
    return this.#store.findByRootDir(normalize(ref).replace(/(.)\/$/, '$1'));
  }

  async #findByDirectory(dir: CanonicalDir): Promise<WorkspaceRecord | undefined> {
    const byPath = await this.#store.findByRootDir(dir.path);
    if (byPath) return byPath;
    // The same directory reached through another mount point has another canonical path but the
    // same inode. Recorded inodes can go stale (a directory deleted, its inode reused), so each
    // candidate's root must still be that directory.
    for (const candidate of await this.#store.findByInode(dir.dev, dir.ino)) {
      if (await sameDirectory(candidate.root_dir, dir)) return candidate;
    }
    return undefined;
  }

  async #register(
    root: CanonicalDir,
    options: { name?: string; addDirs: string[]; defaultAgent?: string; sandboxRef?: string },
  ): Promise<Workspace> {
    const now = this.#clock.now();
    const identity = await ensureIdentity(root.path, now);
    try {
      const record: WorkspaceRecord = {
        id: newWorkspaceId(),
        stable_id: identity.stableId,
        name: options.name ?? '',
        root_dir: root.path,
        root_dev: root.dev,
        root_ino: root.ino,
        add_dirs: options.addDirs,
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
      };
      if (options.defaultAgent !== undefined) record.default_agent = options.defaultAgent;
      if (options.sandboxRef !== undefined) record.sandbox_ref = options.sandboxRef;
      await this.#insertWithName(record, options.name);
      return toWire(record);
    } catch (err) {
      // Another daemon sharing the database may have registered this directory with the identity
      // we just wrote (that is how a lost race ends): then the file is theirs and must stay.
      const adopted = await this.#store.findByStableId(identity.stableId).catch(() => 'unknown');
      if (adopted === undefined) await identity.rollback();
      throw err;
    }
  }

  /** Inserts with the explicit name, or the first free derived one. */
  async #insertWithName(record: WorkspaceRecord, explicitName: string | undefined): Promise<void> {
    for (let attempt = 0; attempt < NAME_RACE_RETRIES; attempt++) {
      record.name = explicitName ?? (await this.#freeName(derivedName(record.root_dir)));
      try {
        await this.#store.insert(record);
        return;
      } catch (err) {
        if (!(err instanceof UniqueViolation)) throw err;
        if (err.field === 'root_dir') {
          throw new AppError('workspace_path_taken', `${record.root_dir} is already registered`);
        }
        if (err.field === 'name' && explicitName !== undefined) throw nameTaken(explicitName);
        if (err.field === 'id') record.id = newWorkspaceId();
      }
    }
    throw new AppError('internal_error', 'could not pick a free workspace name; try again or pass a name');
  }

  async #freeName(base: string): Promise<string> {
    for (const candidate of nameCandidates(base)) {
      if (!(await this.#store.findByName(candidate))) return candidate;
    }
    throw new Error('unreachable');
  }
}

function registrableRoot(root: CanonicalDir, field: string): CanonicalDir {
  if (root.path === '/') {
    throw new AppError(
      'workspace_path_invalid',
      `${field} is the filesystem root, which cannot be a workspace: agents would reach every file`,
    );
  }
  const bytes = Buffer.byteLength(root.path, 'utf8');
  if (bytes > MAX_ROOT_DIR_BYTES) {
    throw new AppError(
      'workspace_path_invalid',
      `${field} resolves to a path of ${bytes} bytes; a workspace root may be at most ${MAX_ROOT_DIR_BYTES} bytes long (symlinks are resolved, so move or bind-mount the directory to a shorter path)`,
      { evidence: { [field]: root.path.slice(0, 200) } },
    );
  }
  return root;
}

/**
 * A registration whose directory was deleted or moved is Gone (410) for reading and changing; it can
 * still be unregistered, which is what the message suggests.
 */
async function assertRootPresent(record: WorkspaceRecord): Promise<void> {
  if (await isDirectory(record.root_dir)) return;
  throw new AppError(
    'workspace_path_missing',
    `the root directory of workspace "${record.name}" (${record.root_dir}) no longer exists; recreate it, or unregister the workspace`,
    {
      evidence: { workspace_id: record.id, root_dir: record.root_dir },
      suggestedCommand: `agh workspace rm ${record.id}`,
    },
  );
}

async function canonicalAddDirs(dirs: readonly string[], rootDir: string): Promise<string[]> {
  if (dirs.length > MAX_ADD_DIRS) {
    throw new AppError('invalid_request', `add_dirs may hold at most ${MAX_ADD_DIRS} directories`);
  }
  const result: string[] = [];
  for (const [i, dir] of dirs.entries()) {
    const canonical = await canonicalDir(dir, `add_dirs[${i}]`);
    if (canonical.path !== rootDir && !result.includes(canonical.path)) result.push(canonical.path);
  }
  return result;
}

/** `''` means "none"; anything else must be a short single-line string. */
function optionalText(value: string | undefined, field: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  assertStorableText(value, field);
  if (value !== value.trim())
    throw new AppError('invalid_request', `${field} must not start or end with whitespace`);
  if (value.length > MAX_FIELD_LENGTH) {
    throw new AppError('invalid_request', `${field} is longer than ${MAX_FIELD_LENGTH} characters`);
  }
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new AppError('invalid_request', `${field} must not contain control characters`);
  }
  return value;
}

function nameTaken(name: string, owner?: WorkspaceRecord): AppError {
  const where = owner ? ` by ${owner.root_dir} (${owner.id})` : '';
  return new AppError(
    'workspace_name_taken',
    `workspace name "${name}" is already in use${where}; choose another name`,
    {
      evidence: owner ? { workspace_id: owner.id, name } : { name },
    },
  );
}

function notFound(ref: string): AppError {
  return new AppError('workspace_not_found', `no workspace matches "${ref}"`, {
    evidence: { reference: ref },
    suggestedCommand: 'agh workspace list',
  });
}

function toWire(record: WorkspaceRecord): Workspace {
  const { stable_id: _stableId, root_dev: _dev, root_ino: _ino, ...workspace } = record;
  return workspace;
}
