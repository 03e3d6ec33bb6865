// The durable record of a session about to start: its permission mode (a spawned child's is clamped
// to its parent's), its lineage and spawn budget, and who owns it among daemons sharing a database.
import { DEFAULT_PERMISSION_MODE, type PermissionMode, stricterMode } from '../agents/definition.ts';
import { AppError } from '../lib/errors.ts';
import type { SpawnBudget } from '../settings/settings.ts';
import type { SessionPlan } from './plan.ts';
import { EMPTY_POLICY, type SessionLineage, type SessionRecord, type SessionType } from './types.ts';

export interface StartOptions {
  type?: SessionType;
  /** A spawned child's mode is clamped to its parent's. */
  maxPermissionMode?: PermissionMode;
  lineage?: Omit<SessionLineage, 'root_session_id'> & { root_session_id?: string };
  promptOverlay?: string;
  channel?: string;
}

export function newSessionRecord(
  plan: SessionPlan,
  name: string | undefined,
  options: StartOptions,
  facts: { id: string; tokenHash: string; now: string; owner: string; rootBudget: SpawnBudget },
): SessionRecord {
  const { id, now } = facts;
  const ownMode =
    (plan.agent.definition.permissions as PermissionMode | undefined) ?? DEFAULT_PERMISSION_MODE;
  const permissionMode = options.maxPermissionMode
    ? stricterMode(ownMode, options.maxPermissionMode)
    : ownMode;
  if (options.maxPermissionMode && plan.runner === 'process' && permissionMode !== 'approve_all') {
    // A process agent asks nobody for permission, so it cannot be held to a narrower mode.
    throw new AppError(
      'spawn_permission_denied',
      `spawn permission denied: agent ${plan.agent.definition.name} runs as a plain process, which cannot be held to the "${permissionMode}" permission mode its parent imposes`,
    );
  }
  const lineage: SessionLineage = {
    root_session_id: options.lineage?.root_session_id ?? id,
    spawn_depth: options.lineage?.spawn_depth ?? 0,
    ttl_expires_at: options.lineage?.ttl_expires_at ?? null,
    auto_stop_on_parent: options.lineage?.auto_stop_on_parent ?? false,
    spawn_budget: options.lineage?.spawn_budget ?? { ...facts.rootBudget },
    permission_policy: options.lineage?.permission_policy ?? rootPolicy(plan, options.channel),
  };
  if (options.lineage?.parent_session_id !== undefined)
    lineage.parent_session_id = options.lineage.parent_session_id;
  if (options.lineage?.spawn_role !== undefined) lineage.spawn_role = options.lineage.spawn_role;
  const record: SessionRecord = {
    id,
    workspace_id: plan.workspace.id,
    workspace_path: plan.workspace.root_dir,
    agent_name: plan.agent.definition.name,
    type: options.type ?? 'user',
    runner: plan.runner,
    provider: plan.provider.name,
    command: plan.argv,
    state: 'starting',
    owner: facts.owner,
    token_hash: facts.tokenHash,
    permission_mode: permissionMode,
    lineage,
    created_at: now,
    updated_at: now,
  };
  if (name !== undefined) record.name = name;
  if (plan.model !== undefined) record.model = plan.model;
  if (options.channel !== undefined) record.channel = options.channel;
  if (options.promptOverlay !== undefined) record.prompt_overlay = options.promptOverlay;
  return record;
}

/** A root session may hand its children what its own definition and workspace give it. */
function rootPolicy(plan: SessionPlan, channel: string | undefined) {
  return {
    ...EMPTY_POLICY,
    tools: [...(plan.agent.definition.tools ?? [])],
    mcp_servers: (plan.agent.definition.mcp_servers ?? []).map((s) => s.name),
    workspace_paths: [plan.workspace.root_dir, ...plan.workspace.add_dirs],
    network_channels: channel !== undefined ? [channel] : [],
  };
}
