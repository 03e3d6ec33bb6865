// Child sessions: an agent may start helpers beneath itself, never with more than it has. Budgets
// (children, depth, active per workspace) bound how many; the permission policy of a child must be a
// subset of its parent's, category by category; a reaper ends children whose TTL has passed or whose
// parent is gone.
import { z } from 'zod';
import type { Clock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import { assertStorableText } from '../lib/text.ts';
import { SerialQueue } from '../lib/serial.ts';
import type { SessionManager } from './manager.ts';
import type { SessionStore } from './store.ts';
import {
  EMPTY_POLICY,
  PERMISSION_CATEGORIES,
  type PermissionPolicy,
  type SessionLineage,
  type SessionRecord,
} from './types.ts';
import type { Session } from './view.ts';

const MAX_TTL_SECONDS = 7 * 24 * 3600;

const atoms = z.array(z.string()).default([]);
export const SpawnRequestSchema = z.strictObject({
  agent_name: z.string(),
  provider: z.string().optional(),
  model: z.string().optional(),
  name: z.string().optional(),
  prompt_overlay: z.string().max(16_384).optional(),
  spawn_role: z.string().max(64).optional(),
  ttl_seconds: z.number(),
  auto_stop_on_parent: z.boolean().optional(),
  permissions: z
    .strictObject({
      tools: atoms,
      skills: atoms,
      mcp_servers: atoms,
      workspace_paths: atoms,
      network_channels: atoms,
      sandbox_profiles: atoms,
    })
    .optional(),
  idempotency_key: z.string().max(256).optional(),
});

export interface SpawnResult {
  session: Session;
  lineage: SessionLineage;
  permissions: PermissionPolicy;
}

export class SpawnService {
  readonly #sessions: SessionManager;
  readonly #store: SessionStore;
  readonly #clock: Clock;
  /** Budget checks and the child's insertion must not interleave within one family. */
  readonly #families = new Map<string, SerialQueue>();

  constructor(deps: { sessions: SessionManager; store: SessionStore; clock: Clock }) {
    this.#sessions = deps.sessions;
    this.#store = deps.store;
    this.#clock = deps.clock;
  }

  async spawn(parent: SessionRecord, raw: unknown): Promise<SpawnResult> {
    const parsed = SpawnRequestSchema.safeParse(raw ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.join('.') || 'body';
      const what = issue?.code === 'unrecognized_keys' ? `unknown field "${issue.keys[0]}"` : issue?.message;
      throw new AppError('spawn_invalid', `spawn validation failed: ${where}: ${what}`);
    }
    const req = parsed.data;
    for (const [field, value] of Object.entries(req)) {
      if (typeof value === 'string') assertStorableText(value, field);
    }
    for (const [category, list] of Object.entries(req.permissions ?? {})) {
      for (const atom of list) assertStorableText(atom, `permissions.${category}`);
    }
    if (req.agent_name.trim() === '')
      throw new AppError('spawn_invalid', 'spawn validation failed: agent_name is required');
    if (!Number.isFinite(req.ttl_seconds) || req.ttl_seconds <= 0 || req.ttl_seconds > MAX_TTL_SECONDS) {
      throw new AppError(
        'spawn_invalid',
        `spawn validation failed: ttl_seconds must be more than 0 and at most ${MAX_TTL_SECONDS}`,
      );
    }
    const role = req.spawn_role?.trim() || 'worker';
    if (role.toLowerCase() === 'coordinator') {
      throw new AppError('spawn_invalid', 'spawn validation failed: a child may not be a coordinator');
    }
    const family = parent.lineage.root_session_id;
    let queue = this.#families.get(family);
    if (!queue) {
      queue = new SerialQueue();
      this.#families.set(family, queue);
    }
    return queue.run(() => this.#spawn(parent, req, role));
  }

  async #spawn(
    parent: SessionRecord,
    req: z.infer<typeof SpawnRequestSchema>,
    role: string,
  ): Promise<SpawnResult> {
    const current = await this.#store.get(parent.id);
    if (current?.state !== 'active') {
      throw new AppError(
        'spawn_invalid',
        `spawn validation failed: the parent session ${parent.id} is not active`,
      );
    }
    const budget = parent.lineage.spawn_budget;
    const depth = parent.lineage.spawn_depth + 1;
    if (depth > budget.max_depth) {
      throw new AppError(
        'spawn_limit',
        `spawn limit exceeded: a child would be at depth ${depth}, the budget allows ${budget.max_depth}`,
      );
    }
    const children = await this.#store.countLive({ parent_session_id: parent.id });
    if (children >= budget.max_children) {
      throw new AppError(
        'spawn_limit',
        `spawn limit exceeded: ${children} live children already, the budget allows ${budget.max_children}`,
      );
    }
    const cap = budget.max_active_per_workspace ?? 0;
    if (cap > 0) {
      const family = (
        await this.#store.list({
          workspace_id: parent.workspace_id,
          states: ['starting', 'active', 'stopping'],
        })
      ).filter((s) => s.lineage.root_session_id === parent.lineage.root_session_id).length;
      if (family >= cap) {
        throw new AppError(
          'spawn_limit',
          `spawn limit exceeded: ${family} live sessions of this family in the workspace, the cap is ${cap}`,
        );
      }
    }
    const requested: PermissionPolicy = req.permissions ?? structuredClone(EMPTY_POLICY);
    const widened: string[] = [];
    for (const category of PERMISSION_CATEGORIES) {
      for (const atom of requested[category]) {
        if (atom.trim() === '')
          throw new AppError(
            'spawn_permission_denied',
            `spawn permission denied: a blank entry in ${category}`,
          );
        if (!parent.lineage.permission_policy[category].includes(atom)) widened.push(`${category}: ${atom}`);
      }
    }
    if (widened.length > 0) {
      throw new AppError(
        'spawn_permission_denied',
        `spawn permission denied: the parent does not have ${widened.join(', ')}`,
        {
          evidence: { widened },
        },
      );
    }
    const now = this.#clock.now();
    const ttl = Math.ceil(req.ttl_seconds);
    const lineage = {
      parent_session_id: parent.id,
      root_session_id: parent.lineage.root_session_id,
      spawn_depth: depth,
      spawn_role: role,
      ttl_expires_at: new Date(now.getTime() + ttl * 1000).toISOString(),
      auto_stop_on_parent: req.auto_stop_on_parent ?? true,
      spawn_budget: { ...budget, ttl_seconds: ttl },
      permission_policy: requested,
    };
    const session = await this.#sessions.create(
      {
        agent_name: req.agent_name,
        workspace: parent.workspace_id,
        ...(req.name !== undefined ? { name: req.name } : {}),
        ...(req.provider !== undefined ? { provider: req.provider } : {}),
        ...(req.model !== undefined && req.provider !== undefined ? { model: req.model } : {}),
      },
      {
        type: 'spawned',
        maxPermissionMode: parent.permission_mode,
        lineage,
        ...(req.prompt_overlay !== undefined ? { promptOverlay: req.prompt_overlay } : {}),
        ...(parent.channel !== undefined ? { channel: parent.channel } : {}),
      },
    );
    return { session, lineage: session.lineage, permissions: session.lineage.permission_policy };
  }

  /** One pass of the spawn reaper; returns the ids it stopped. */
  async reap(): Promise<string[]> {
    const now = this.#clock.now().toISOString();
    const live = await this.#store.list({ types: ['spawned'], states: ['active', 'starting'] });
    const stopped: string[] = [];
    for (const child of live) {
      if (!this.#sessions.isLiveHere(child.id)) continue;
      let reason: 'timeout' | 'user_canceled' | 'error' | undefined;
      let detail = '';
      if (child.lineage.ttl_expires_at !== null && child.lineage.ttl_expires_at <= now) {
        reason = 'timeout';
        detail = 'spawn_reaper:ttl_expired';
      } else if (child.lineage.parent_session_id !== undefined) {
        const parent = await this.#store.get(child.lineage.parent_session_id);
        if (!parent) {
          reason = 'error';
          detail = 'spawn_reaper:orphaned';
        } else if (parent.state === 'stopped' && child.lineage.auto_stop_on_parent) {
          reason = 'user_canceled';
          detail = 'spawn_reaper:parent_stopped';
        }
      }
      if (reason) {
        await this.#sessions.stop(child.id, reason, detail).catch(() => undefined);
        stopped.push(child.id);
      }
    }
    return stopped;
  }
}
