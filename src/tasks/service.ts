// Task records: create (global, workspace or child), edit, delete, dependency edges and pause/resume
// with inheritance down the tree.
import type { TaskUpdateField } from '../contract/task-events.ts';
import { AppError } from '../lib/errors.ts';
import { newPrefixedId } from '../lib/ids.ts';
import type { WorkspaceRecord } from '../workspaces/types.ts';
import type { TaskKernel } from './kernel.ts';
import { type TaskRecord, toJson } from './records.ts';
import {
  type Actor,
  type ApprovalPolicy,
  LIMITS,
  type OwnerRef,
  PRIORITY_WEIGHT,
  type Scope,
  type TaskPriority,
  TERMINAL_TASK_STATUSES,
} from './types.ts';
import type { Unit } from './unit.ts';
import { checkChannel, checkMaxAttempts, checkMetadata, checkOwner, requireTitle } from './validate.ts';

export interface CreateTaskInput {
  id?: string | undefined;
  identifier?: string | undefined;
  scope: Scope;
  workspace?: string | undefined;
  title: string;
  description?: string | undefined;
  priority?: TaskPriority | undefined;
  max_attempts?: number | null | undefined;
  auto_enqueue_on_ready?: boolean | undefined;
  approval_policy?: ApprovalPolicy | undefined;
  owner?: OwnerRef | null | undefined;
  network_channel?: string | undefined;
  metadata?: unknown;
  draft?: boolean | undefined;
}

export interface UpdateTaskInput {
  title?: string | null | undefined;
  description?: string | null | undefined;
  priority?: TaskPriority | undefined;
  max_attempts?: number | null | undefined;
  auto_enqueue_on_ready?: boolean | null | undefined;
  approval_policy?: ApprovalPolicy | undefined;
  metadata?: unknown;
  network_channel?: string | null | undefined;
  owner?: OwnerRef | null | undefined;
  clear_owner?: boolean | undefined;
}

export interface WorkspaceLookup {
  find(ref: string): Promise<WorkspaceRecord>;
}

const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export class TaskService {
  readonly #kernel: TaskKernel;
  readonly #workspaces: WorkspaceLookup;

  constructor(kernel: TaskKernel, workspaces: WorkspaceLookup) {
    this.#kernel = kernel;
    this.#workspaces = workspaces;
  }

  async create(input: CreateTaskInput, actor: Actor, parentId?: string): Promise<TaskRecord> {
    const title = requireTitle(input.title);
    if (input.id !== undefined && !TASK_ID_PATTERN.test(input.id)) {
      throw new AppError(
        'task_invalid',
        `id "${input.id}" is not usable: 1-128 letters, digits, ".", "_", ":" or "-", starting with a letter or digit`,
      );
    }
    const workspaceId = await this.#workspaceFor(input);
    const channel = checkChannel(input.network_channel);
    const owner = checkOwner(input.owner);
    const maxAttempts = checkMaxAttempts(input.max_attempts ?? LIMITS.defaultMaxAttempts);
    checkMetadata(input.metadata);
    const policy = input.approval_policy ?? 'none';
    const status = input.draft ? 'draft' : policy === 'manual' ? 'blocked' : 'ready';
    const id = input.id ?? newPrefixedId('task');

    return this.#kernel.write(actor, async (unit) => {
      let depth = 1;
      let pausedBy: string | null = null;
      if (parentId !== undefined) {
        const parent = await unit.task(parentId);
        if (
          parent.scope === 'workspace' &&
          (input.scope !== 'workspace' || workspaceId !== parent.workspace_id)
        ) {
          throw new AppError(
            'task_invalid',
            `task "${parent.id}" belongs to workspace "${parent.workspace_id}"; its children must be workspace tasks of the same workspace`,
          );
        }
        depth = parent.depth + 1;
        if (depth > LIMITS.maxDepth) {
          throw new AppError('task_graph_limit', `a task tree is at most ${LIMITS.maxDepth} levels deep`);
        }
        const siblings = (await unit.q.tasks.childCounts([parent.id])).get(parent.id) ?? 0;
        if (siblings >= LIMITS.maxChildren) {
          throw new AppError(
            'task_graph_limit',
            `task "${parent.id}" already has ${LIMITS.maxChildren} children`,
          );
        }
        pausedBy = parent.paused_by_task_id;
      }
      if (await unit.q.tasks.exists(id))
        throw new AppError('task_exists', `a task with id "${id}" already exists`);
      await unit.q.tasks.insert({
        id,
        identifier: input.identifier?.trim() || null,
        scope: input.scope,
        workspace_id: workspaceId,
        parent_task_id: parentId ?? null,
        depth,
        network_channel: channel,
        title,
        description: input.description ?? null,
        priority: input.priority ?? 'medium',
        max_attempts: maxAttempts,
        auto_enqueue_on_ready: input.auto_enqueue_on_ready ? 1 : 0,
        status,
        approval_policy: policy,
        approval_state: policy === 'manual' ? 'pending' : 'not_required',
        owner_kind: owner?.kind ?? null,
        owner_ref: owner?.ref ?? null,
        current_run_id: null,
        paused: 0,
        paused_by: null,
        paused_at: null,
        paused_reason: null,
        paused_by_task_id: pausedBy,
        created_by_kind: actor.actor.kind,
        created_by_ref: actor.actor.ref,
        origin_kind: actor.origin.kind,
        origin_ref: actor.origin.ref,
        metadata: toJson(input.metadata),
        latest_event_seq: 0,
        last_activity_at: unit.now,
        created_at: unit.now,
        updated_at: unit.now,
        closed_at: null,
      });
      unit.emit(id, 'task.created', {
        scope: input.scope,
        workspace_id: workspaceId,
        parent_task_id: parentId,
        status,
        network_channel: channel,
        owner,
      });
      if (parentId !== undefined) {
        unit.emit(parentId, 'task.child_created', {
          child_task_id: id,
          child_scope: input.scope,
          child_workspace_id: workspaceId,
        });
      }
      return unit.fresh(id);
    });
  }

  async update(id: string, input: UpdateTaskInput, actor: Actor): Promise<TaskRecord> {
    const given = Object.entries(input).filter(([, v]) => v !== undefined);
    if (given.length === 0 || (given.length === 1 && input.clear_owner === false)) {
      throw new AppError('task_invalid', 'task update must include at least one mutable field');
    }
    if (input.owner != null && input.clear_owner) {
      throw new AppError('task_invalid', 'send either owner or clear_owner, not both');
    }
    const title = input.title != null ? requireTitle(input.title) : undefined;
    if (input.max_attempts != null) checkMaxAttempts(input.max_attempts);
    const channel = input.network_channel != null ? checkChannel(input.network_channel) : undefined;
    const owner = input.owner != null ? checkOwner(input.owner) : undefined;
    checkMetadata(input.metadata);

    return this.#kernel.write(actor, async (unit) => {
      const task = await unit.task(id);
      const set: Record<string, unknown> = {};
      const changed: TaskUpdateField[] = [];
      const change = (field: TaskUpdateField, column: string, next: unknown, current: unknown) => {
        if (next === undefined || next === current) return;
        set[column] = next;
        changed.push(field);
      };
      change('title', 'title', title, task.title);
      change('description', 'description', input.description ?? undefined, task.description);
      change('priority', 'priority', input.priority, task.priority);
      change('max_attempts', 'max_attempts', input.max_attempts ?? undefined, task.max_attempts);
      if (input.auto_enqueue_on_ready != null && input.auto_enqueue_on_ready !== task.auto_enqueue_on_ready) {
        set.auto_enqueue_on_ready = input.auto_enqueue_on_ready ? 1 : 0;
        changed.push('auto_enqueue_on_ready');
      }
      if (input.approval_policy !== undefined && input.approval_policy !== task.approval_policy) {
        set.approval_policy = input.approval_policy;
        set.approval_state = input.approval_policy === 'manual' ? 'pending' : 'not_required';
        changed.push('approval_policy');
      }
      if (input.metadata !== undefined && JSON.stringify(input.metadata) !== JSON.stringify(task.metadata)) {
        set.metadata = toJson(input.metadata);
        changed.push('metadata');
      }
      change('network_channel', 'network_channel', channel, task.network_channel);
      if (owner && (owner.kind !== task.owner?.kind || owner.ref !== task.owner?.ref)) {
        set.owner_kind = owner.kind;
        set.owner_ref = owner.ref;
        changed.push('owner');
      } else if (input.clear_owner && task.owner) {
        set.owner_kind = null;
        set.owner_ref = null;
        changed.push('owner');
      }
      if (changed.length === 0) return task;
      await unit.q.tasks.update(id, { ...set, updated_at: unit.now });
      if (input.priority !== undefined && changed.includes('priority')) {
        await unit.q.runs.setPriority(id, PRIORITY_WEIGHT[input.priority]);
      }
      const status = await unit.reconcile(id);
      unit.emit(id, 'task.updated', { changed_fields: changed, status });
      return unit.fresh(id);
    });
  }

  async remove(id: string, actor: Actor): Promise<void> {
    await this.#kernel.write(actor, async (unit) => {
      await unit.task(id);
      const children = (await unit.q.tasks.childCounts([id])).get(id) ?? 0;
      if (children > 0) {
        throw new AppError(
          'task_not_deletable',
          `task "${id}" has ${children} child tasks; delete children first`,
        );
      }
      const open = await unit.q.runs.openRunOf(id);
      if (open) {
        throw new AppError(
          'task_not_deletable',
          `task "${id}" has active or queued runs; cancel or finish them first`,
          { suggestedCommand: `agh task cancel ${id}`, evidence: { run_id: open.id, status: open.status } },
        );
      }
      const dependents = await unit.q.tasks.dependents(id);
      await unit.q.tasks.delete(id);
      // The edge goes with the task; each dependent's timeline says so (and long polls wake up).
      for (const dependent of dependents) {
        const status = await unit.reconcile(dependent);
        unit.emit(dependent, 'task.dependency_removed', {
          depends_on_task_id: id,
          kind: 'blocks',
          status,
          reason: 'the task it depended on was deleted',
        });
      }
    });
  }

  async addDependency(id: string, dependsOn: string, actor: Actor): Promise<void> {
    if (id === dependsOn) throw new AppError('task_invalid', 'a task cannot depend on itself');
    await this.#kernel.write(actor, async (unit) => {
      await unit.task(id);
      if (!(await unit.q.tasks.exists(dependsOn))) {
        throw new AppError('task_not_found', `task "${dependsOn}" (depends_on_task_id) not found`);
      }
      const edges = await unit.q.tasks.dependencies(id);
      if (edges.some((e) => e.depends_on_task_id === dependsOn)) {
        throw new AppError('task_dependency_exists', `task "${id}" already depends on "${dependsOn}"`);
      }
      if (edges.length >= LIMITS.maxDependencies) {
        throw new AppError('task_graph_limit', `a task has at most ${LIMITS.maxDependencies} dependencies`);
      }
      if (await unit.q.tasks.dependsTransitively(dependsOn, id)) {
        throw new AppError(
          'task_dependency_cycle',
          `"${id}" → "${dependsOn}" would create a cycle: "${dependsOn}" already depends on "${id}"`,
        );
      }
      await unit.q.tasks.addDependency({
        task_id: id,
        depends_on_task_id: dependsOn,
        kind: 'blocks',
        created_at: unit.now,
      });
      const status = await unit.reconcile(id);
      unit.emit(id, 'task.dependency_added', { depends_on_task_id: dependsOn, kind: 'blocks', status });
    });
  }

  async removeDependency(id: string, dependsOn: string, actor: Actor): Promise<void> {
    await this.#kernel.write(actor, async (unit) => {
      await unit.task(id);
      if (!(await unit.q.tasks.removeDependency(id, dependsOn))) {
        throw new AppError('dependency_not_found', `task "${id}" does not depend on "${dependsOn}"`);
      }
      const status = await unit.reconcile(id);
      unit.emit(id, 'task.dependency_removed', { depends_on_task_id: dependsOn, kind: 'blocks', status });
    });
  }

  async pause(
    id: string,
    input: { reason?: string | undefined; metadata?: unknown },
    actor: Actor,
  ): Promise<TaskRecord> {
    const reason = input.reason?.trim() ?? '';
    if (reason === '') {
      throw new AppError('force_op_requires_reason', 'pausing a task needs a reason: say why in "reason"');
    }
    checkMetadata(input.metadata);
    return this.#kernel.write(actor, async (unit) => {
      const task = await unit.task(id);
      if (TERMINAL_TASK_STATUSES.has(task.status)) {
        throw new AppError(
          'task_run_already_terminal',
          `task "${id}" is ${task.status}; there is nothing to pause`,
        );
      }
      await unit.q.tasks.update(id, {
        paused: 1,
        paused_by: `${actor.actor.kind}:${actor.actor.ref}`,
        paused_at: unit.now,
        paused_reason: reason,
        updated_at: unit.now,
      });
      await this.#inheritPause(unit, id);
      unit.emit(id, 'task.paused', {
        manual: true,
        actor_kind: actor.actor.kind,
        actor_id: actor.actor.ref,
        previous_paused: task.paused,
        paused: true,
        reason,
        metadata: input.metadata,
      });
      return unit.fresh(id);
    });
  }

  async resume(id: string, input: { metadata?: unknown }, actor: Actor): Promise<TaskRecord> {
    checkMetadata(input.metadata);
    return this.#kernel.write(actor, async (unit) => {
      const task = await unit.task(id);
      await unit.q.tasks.update(id, {
        paused: 0,
        paused_by: null,
        paused_at: null,
        paused_reason: null,
        updated_at: unit.now,
      });
      await this.#inheritPause(unit, id);
      unit.emit(id, 'task.resumed', {
        manual: true,
        actor_kind: actor.actor.kind,
        actor_id: actor.actor.ref,
        previous_paused: task.paused,
        paused: false,
        metadata: input.metadata,
      });
      return unit.fresh(id);
    });
  }

  /** Recomputes `paused_by_task_id` (nearest paused task, itself first) below and including `id`. */
  async #inheritPause(unit: Unit, id: string): Promise<void> {
    const task = await unit.task(id);
    const parent = task.parent_task_id ? await unit.q.tasks.get(task.parent_task_id) : undefined;
    const nearest = new Map<string, string | null>();
    for (const node of await unit.q.tasks.subtree(id)) {
      const above = node.id === id ? (parent?.paused_by_task_id ?? null) : nearest.get(node.parent_task_id!)!;
      const value = node.paused ? node.id : above;
      nearest.set(node.id, value);
      if (value !== node.paused_by_task_id) await unit.q.tasks.update(node.id, { paused_by_task_id: value });
    }
  }

  async #workspaceFor(input: CreateTaskInput): Promise<string | null> {
    const ref = input.workspace?.trim() ?? '';
    if (input.scope === 'global') {
      if (ref !== '')
        throw new AppError('task_invalid', 'a global task takes no workspace; use scope "workspace"');
      return null;
    }
    if (ref === '') {
      throw new AppError('task_invalid', 'a workspace task needs "workspace" (a workspace id, name or path)');
    }
    return (await this.#workspaces.find(ref)).id;
  }
}
