// What an agent may ask about itself (contract tag Agent): who it is, its situation, its
// coordinator settings, its soul. Tasks, channels and peers belong to later work; their sections
// are present and empty, never invented.
import type { AgentCatalog } from '../agents/catalog.ts';
import type { ProviderCatalog } from '../agents/providers.ts';
import type { FileConfig } from '../settings/config-file.ts';
import {
  type CoordinatorSettings,
  coordinatorSettings,
  readWorkspaceConfig,
} from '../settings/workspace-config.ts';
import type { Clock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import type { AgentSoul, SoulService } from '../souls/service.ts';
import type { Workspace, WorkspaceService } from '../workspaces/index.ts';
import type { LeaseView, TaskBundleView, TaskSummaryView } from '../contract/tasks.ts';
import type { AgentCaller } from './caller.ts';
import type { SessionLineage, SessionRecord } from './types.ts';

export const CONTEXT_SECTION_LIMIT = 8;

export type CoordinatorConfig = CoordinatorSettings & { workspace_id?: string };

/** The leases a session holds now, as the task kernel shows them (wire shapes). */
export type SessionLeases = (
  sessionId: string,
) => Promise<{ task: TaskSummaryView; lease: LeaseView; bundle: () => Promise<TaskBundleView> }[]>;

interface SessionSummary {
  id: string;
  name?: string;
  type: SessionRecord['type'];
  state: SessionRecord['state'];
  channel?: string;
  lineage: SessionLineage;
  created_at: string;
  updated_at: string;
}

interface Section {
  limit: number;
  returned: number;
  truncated: boolean;
}

export class AgentSelfService {
  readonly #workspaces: WorkspaceService;
  readonly #agents: AgentCatalog;
  readonly #providers: ProviderCatalog;
  readonly #souls: SoulService;
  readonly #config: FileConfig;
  readonly #clock: Clock;
  readonly #leases: SessionLeases;

  constructor(deps: {
    workspaces: WorkspaceService;
    agents: AgentCatalog;
    providers: ProviderCatalog;
    souls: SoulService;
    config: FileConfig;
    clock: Clock;
    /** What a session holds, as the task kernel tells it. */
    leases: SessionLeases;
  }) {
    this.#workspaces = deps.workspaces;
    this.#agents = deps.agents;
    this.#providers = deps.providers;
    this.#souls = deps.souls;
    this.#config = deps.config;
    this.#clock = deps.clock;
    this.#leases = deps.leases;
  }

  async me(caller: AgentCaller) {
    const s = caller.session;
    const workspace = await this.#workspace(s, false);
    const capabilities = await this.#capabilities(workspace);
    return {
      self: selfOf(s),
      workspace: { id: workspace.id, name: workspace.name, root_dir: workspace.root_dir },
      session: summaryOf(s),
      capabilities,
      channels: [],
      active_task_leases: (await this.#leases(s.id)).map((l) => l.lease),
      coordinator: await this.#coordinator(workspace, true),
      limits: limitsOf(s),
    };
  }

  async #task(sessionId: string) {
    const [held] = await this.#leases(sessionId);
    return held
      ? { available: true, task: held.task, lease: held.lease, bundle: await held.bundle() }
      : { available: false, task: null, lease: null, bundle: null };
  }

  async context(caller: AgentCaller) {
    const s = caller.session;
    const workspace = await this.#workspace(s, false);
    const capabilities = await this.#capabilities(workspace);
    const shown = capabilities.slice(0, CONTEXT_SECTION_LIMIT);
    const soul = await this.#souls.evaluate({ workspace, agentName: s.agent_name }).catch(() => undefined);
    return {
      self: selfOf(s),
      workspace: { id: workspace.id, name: workspace.name, root_dir: workspace.root_dir },
      session: summaryOf(s),
      soul: soulSummary(soul),
      task: await this.#task(s.id),
      coordination_channel: { available: false, channel: null },
      inbox_summary: { items: [], unread_count: 0, section: section(0, 0) },
      peer_roster: { peers: [], section: section(0, 0) },
      capabilities: { capabilities: shown, section: section(shown.length, capabilities.length) },
      limits: limitsOf(s),
      provenance: { generated_at: this.#clock.now().toISOString(), source: 'daemon.situation' },
    };
  }

  /** `workspaceRef` defaults to the caller's workspace; a session may only ask about its own. */
  async coordinatorConfig(caller: AgentCaller, workspaceRef?: string): Promise<CoordinatorConfig> {
    const own = await this.#workspace(caller.session);
    if (workspaceRef === undefined || workspaceRef === '') return this.#coordinator(own);
    if (caller.viaOperator) return this.#coordinator(await this.#workspaces.findPresent(workspaceRef));
    // A session learns nothing about other workspaces, not even whether they exist.
    const target = await this.#workspaces.findPresent(workspaceRef).catch(() => undefined);
    if (target?.id !== own.id) {
      throw new AppError(
        'identity_unauthorized',
        `agent session ${caller.session.id} may only read its own workspace's settings (${own.name})`,
      );
    }
    return this.#coordinator(own);
  }

  async soul(caller: AgentCaller): Promise<AgentSoul> {
    const workspace = await this.#workspace(caller.session);
    return this.#souls.evaluate({ workspace, agentName: caller.session.agent_name });
  }

  async validateSoul(
    caller: AgentCaller,
    input: { workspace_id?: string; agent_name?: string; body?: string } = {},
  ): Promise<AgentSoul> {
    const own = await this.#workspace(caller.session);
    let workspace = own;
    if (input.workspace_id !== undefined && input.workspace_id !== '' && input.workspace_id !== own.id) {
      if (!caller.viaOperator) {
        throw new AppError(
          'identity_unauthorized',
          `agent session ${caller.session.id} may only validate souls in its own workspace`,
        );
      }
      workspace = await this.#workspaces.findPresent(input.workspace_id);
    }
    const agentName = input.agent_name?.trim() || caller.session.agent_name;
    return this.#souls.evaluate({ workspace, agentName }, input.body);
  }

  /**
   * The caller's workspace; `present` (the default) insists its directory still exists (410), which
   * me and context do not: they describe the caller whatever happened to its files.
   */
  async #workspace(s: SessionRecord, present = true): Promise<Workspace> {
    if (!present) return this.#workspaces.find(s.workspace_id);
    return this.#workspaces.findPresent(s.workspace_id);
  }

  /** `bestEffort`: a broken workspace config.toml falls back to the global settings. */
  async #coordinator(workspace: Workspace, bestEffort = false): Promise<CoordinatorConfig> {
    const overlay = await readWorkspaceConfig(workspace.root_dir).catch((err: unknown) => {
      if (bestEffort) return {};
      throw err;
    });
    const settings = coordinatorSettings(this.#config, overlay);
    const config: CoordinatorConfig = {
      enabled: settings.enabled,
      agent_name: settings.agent_name,
      default_ttl_seconds: settings.default_ttl_seconds,
      max_children: settings.max_children,
      max_active_sessions_per_workspace: settings.max_active_sessions_per_workspace,
      source: settings.source,
      workspace_id: workspace.id,
    };
    // Provider and model: the config, then the coordinator agent's AGENT.md, then the default.
    const agent =
      settings.provider === undefined || settings.model === undefined
        ? await this.#agents.find(workspace, settings.agent_name)
        : undefined;
    config.provider = settings.provider ?? agent?.definition.provider ?? this.#providers.defaultProvider;
    const model = settings.model ?? agent?.definition.model ?? this.#providers.get(config.provider)?.model;
    if (model !== undefined) config.model = model;
    return config;
  }

  async #capabilities(workspace: Workspace) {
    const skills = await this.#agents.skills(workspace);
    return skills.map((skill) => ({
      id: `skill:${skill.name}`,
      source: 'skill',
      summary: `skill from ${skill.source}`,
    }));
  }
}

function selfOf(s: SessionRecord) {
  return {
    session_id: s.id,
    agent_name: s.agent_name,
    provider: s.provider,
    ...(s.model !== undefined ? { model: s.model } : {}),
  };
}

function summaryOf(s: SessionRecord): SessionSummary {
  const summary: SessionSummary = {
    id: s.id,
    type: s.type,
    state: s.state,
    lineage: s.lineage,
    created_at: s.created_at,
    updated_at: s.updated_at,
  };
  if (s.name !== undefined) summary.name = s.name;
  if (s.channel !== undefined) summary.channel = s.channel;
  return summary;
}

/** The session's own spawn budget, so an agent knows what it may still do. */
function limitsOf(s: SessionRecord) {
  return {
    max_children: s.lineage.spawn_budget.max_children,
    max_spawn_depth: s.lineage.spawn_budget.max_depth,
    max_active_task_leases: 1,
    context_section_limit: CONTEXT_SECTION_LIMIT,
  };
}

function section(returned: number, total: number): Section {
  return { limit: CONTEXT_SECTION_LIMIT, returned, truncated: total > returned };
}

function soulSummary(soul: AgentSoul | undefined) {
  if (!soul) return { enabled: false, present: false, active: false, valid: false, tone: [], principles: [] };
  const summary: {
    enabled: boolean;
    present: boolean;
    active: boolean;
    valid: boolean;
    validation_status: AgentSoul['validation_status'];
    config_digest: string;
    tone: string[];
    principles: string[];
    max_bytes: number;
    max_body_bytes: number;
    truncated: boolean;
    digest?: string;
    source_path?: string;
    role?: string;
  } = {
    enabled: soul.enabled,
    present: soul.present,
    active: soul.active,
    valid: soul.valid,
    validation_status: soul.validation_status,
    config_digest: soul.config_provenance.digest,
    tone: soul.frontmatter.tone ?? [],
    principles: soul.frontmatter.principles ?? [],
    max_bytes: soul.limits.max_bytes,
    max_body_bytes: soul.limits.max_body_bytes,
    truncated: false,
  };
  if (soul.digest !== undefined) summary.digest = soul.digest;
  if (soul.source_path !== undefined) summary.source_path = soul.source_path;
  if (soul.frontmatter.role !== undefined) summary.role = soul.frontmatter.role;
  return summary;
}
