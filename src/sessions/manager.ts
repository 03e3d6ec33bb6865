// The session manager: starts agents as supervised sessions, runs their turns, stops them, and
// keeps the durable record of what ran. Knows nothing of HTTP.
import { realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { AgentCatalog } from '../agents/catalog.ts';
import type { ProviderCatalog } from '../agents/providers.ts';
import type { Clock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import { assertStorableText } from '../lib/text.ts';
import { newSessionId, newSessionToken, newTurnId, sha256Hex } from '../lib/ids.ts';
import {
  describeExit,
  type Runner,
  RunnerError,
  type RunnerExit,
  type RunnerFactory,
  type TurnResult,
} from './runner.ts';
import type { WorkspaceService, WorkspaceSessions } from '../workspaces/index.ts';
import type { SessionSettings } from '../settings/settings.ts';
import type { EventBus } from '../store/event-bus.ts';

export type { SessionSettings };
import type { LogEvent } from '../store/event-log.ts';
import { SessionEventLog } from './events.ts';
import { runnerRequest } from './launch.ts';
import { createdEvent, startedEvent, stopEvent } from './lifecycle-events.ts';
import { newSessionRecord, type StartOptions } from './new-session.ts';

export type { StartOptions };
import { type CreateSessionInput, planSession, type SessionPlan } from './plan.ts';
import type { SessionStore } from './store.ts';
import type { FailureKind, SessionRecord, StopReason } from './types.ts';
import { type Session, toSessionView } from './view.ts';

export interface SessionManagerDeps {
  store: SessionStore;
  workspaces: WorkspaceService;
  agents: AgentCatalog;
  providers: ProviderCatalog;
  clock: Clock;
  home: string;
  logger: Logger;
  settings: SessionSettings;
  /** Builds the runner for a session's harness. */
  runners: RunnerFactory;
  /** The daemon's bus over the event log: lifecycle events are published on it once committed. */
  bus: EventBus;
  /** Awaited whenever a session of this daemon has stopped: its leases go back to the queue. */
  onStopped?: (sessionId: string) => Promise<void>;
  /** The daemon's own URL, known only once it listens. */
  apiUrl: () => string;
  /** The environment agents inherit (minus every AGH_* variable). */
  baseEnv?: NodeJS.ProcessEnv;
  /** Identifies this daemon among several sharing one database. */
  owner?: string;
}

interface Turn {
  id: string;
  source: string;
  /** Settles when the agent ends the turn, however it ends. */
  settled: Promise<unknown>;
  startedAt: Date;
  lastActivityAt: Date;
  lastKind?: string;
}

interface LiveSession {
  record: SessionRecord;
  runner: Runner;
  plan: SessionPlan;
  turn?: Turn;
  turns: number;
  processAlive: boolean;
  stopping?: Promise<void>;
  finalized: boolean;
}

export interface TurnStarted {
  turn_id: string;
  session_id: string;
  done: Promise<TurnResult>;
}

interface Ending {
  reason: StopReason;
  detail: string;
  failure?: { kind: FailureKind; summary: string };
}

/** How long a stop waits for a cancelled turn to end before ending the agent. */
const CANCEL_WAIT_MS = 1000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** The spawn budget of a root session; children inherit their parent's. */
export class SessionManager implements WorkspaceSessions {
  readonly #deps: SessionManagerDeps;
  readonly #store: SessionStore;
  readonly #clock: Clock;
  /** Read access for identity checks, which need no live process. */
  readonly store: SessionStore;
  readonly #live = new Map<string, LiveSession>();
  readonly events: SessionEventLog;
  readonly owner: string;
  #closing = false;
  /** `$AGH_HOME` with links resolved, so an agent cannot reach it under another name. */
  #realHome: string | undefined;

  constructor(deps: SessionManagerDeps) {
    this.#deps = deps;
    this.#store = deps.store;
    this.store = deps.store;
    this.#clock = deps.clock;
    this.owner = deps.owner ?? `${hostname()}:${deps.home}`;
    this.events = new SessionEventLog({ store: deps.store, clock: deps.clock, logger: deps.logger });
    try {
      this.#realHome = realpathSync(deps.home);
    } catch {
      this.#realHome = undefined;
    }
  }

  /** Starts a session and returns it once its agent is ready (or throws, leaving it stopped). */
  async create(input: CreateSessionInput, options: StartOptions = {}): Promise<Session> {
    if (this.#closing)
      throw new AppError('shutting_down', 'the daemon is shutting down; no new sessions start');
    const plan = await planSession(
      {
        workspaces: this.#deps.workspaces,
        agents: this.#deps.agents,
        providers: this.#deps.providers,
        defaultAgent: this.#deps.settings.defaultAgent,
      },
      input,
    );
    return this.start(plan, input.name, options);
  }

  /** Spawn goes through here after its own checks; `plan` is already resolved. */
  async start(plan: SessionPlan, name: string | undefined, options: StartOptions = {}): Promise<Session> {
    const now = this.#now();
    const id = newSessionId();
    const token = newSessionToken();
    const record = newSessionRecord(plan, name, options, {
      id,
      tokenHash: sha256Hex(token),
      now,
      owner: this.owner,
      rootBudget: this.#deps.settings.rootBudget,
    });
    this.#published(await this.#store.insert(record, [createdEvent(record, now)]));

    const live: LiveSession = {
      record,
      plan,
      runner: this.#makeRunner(record, plan, token),
      turns: 0,
      processAlive: false,
      finalized: false,
    };
    this.#live.set(id, live);
    if (this.#closing) {
      // Shutdown began while this request was planning: it must not start an agent now.
      await this.#finalize(live, { reason: 'shutdown', detail: 'daemon shutdown' });
      throw new AppError('shutting_down', 'the daemon is shutting down; no new sessions start');
    }
    await this.events.append(id, 'state', {
      state: 'starting',
      agent: record.agent_name,
      runner: record.runner,
      command: record.command,
    });

    let started;
    try {
      started = await live.runner.start();
    } catch (err) {
      if (live.stopping) {
        await live.stopping;
        throw new AppError('session_not_active', `session ${id} was stopped while it was starting`);
      }
      const failure =
        err instanceof RunnerError ? err : new RunnerError('unknown_failure', (err as Error).message);
      await this.#finalize(live, {
        reason: failure.kind === 'process_exit' ? 'agent_crashed' : 'error',
        detail: failure.message,
        failure: { kind: failure.kind, summary: failure.message },
      });
      throw new AppError(
        'agent_start_failed',
        `session ${id} (agent ${record.agent_name}) did not start: ${failure.message}`,
        {
          evidence: { session_id: id, failure_kind: failure.kind },
          suggestedCommand: `agh session show ${id}`,
        },
      );
    }
    live.processAlive = true;
    void live.runner.exited.then((exit) => this.#onExit(live, exit));
    if (live.stopping) {
      await live.stopping;
      throw new AppError('session_not_active', `session ${id} was stopped while it was starting`);
    }
    const patch = {
      state: 'active' as const,
      updated_at: this.#now(),
      ...(live.runner.pid !== undefined ? { pid: live.runner.pid } : {}),
      ...(started.acp_session_id !== undefined ? { acp_session_id: started.acp_session_id } : {}),
      ...(started.acp_caps !== undefined ? { acp_caps: started.acp_caps } : {}),
    };
    this.#published(
      await this.#store.update(id, patch, [startedEvent(record, live.runner.pid, patch.updated_at)]),
    );
    Object.assign(live.record, patch);
    await this.events.append(id, 'state', { state: 'active', pid: live.runner.pid ?? null });
    this.#deps.logger.info(
      { session_id: id, agent: record.agent_name, runner: record.runner },
      'session active',
    );
    return this.#view(live.record);
  }

  async get(id: string): Promise<Session> {
    return this.#view(await this.record(id));
  }

  async record(id: string): Promise<SessionRecord> {
    const live = this.#live.get(id);
    if (live) return live.record;
    const record = await this.#store.get(id);
    if (!record || record.type === 'dream') {
      throw new AppError('session_not_found', `no session ${id}`, { suggestedCommand: 'agh session list' });
    }
    return record;
  }

  async list(filter: { workspace_id?: string; state?: SessionRecord['state'] } = {}): Promise<Session[]> {
    const records = await this.#store.list({
      ...(filter.workspace_id !== undefined ? { workspace_id: filter.workspace_id } : {}),
      ...(filter.state !== undefined ? { states: [filter.state] } : {}),
      types: ['user', 'system', 'coordinator', 'spawned'],
    });
    return records.map((r) => this.#view(this.#live.get(r.id)?.record ?? r));
  }

  listForWorkspace(workspaceId: string): Promise<Session[]> {
    return this.list({ workspace_id: workspaceId });
  }

  countLive(workspaceId: string): Promise<number> {
    return this.#store.countLive({ workspace_id: workspaceId });
  }

  /** Starts a turn; `done` settles when the agent ends it. */
  async prompt(id: string, text: string, source = 'user'): Promise<TurnStarted> {
    const live = await this.#liveFor(id, 'prompt');
    if (live.record.runner !== 'acp') {
      throw new AppError(
        'prompt_not_supported',
        `session ${id} runs a process agent, which takes no prompts`,
      );
    }
    if (live.turn) {
      throw new AppError(
        'session_busy',
        `session ${id} is in the middle of turn ${live.turn.id}; wait for it or cancel it`,
        {
          suggestedCommand: `agh session events ${id}`,
        },
      );
    }
    assertStorableText(text, 'text');
    // The turn is reserved before the first await, so two prompts can never both get through.
    const turnId = newTurnId();
    const now = this.#clock.now();
    const turn: Turn = {
      id: turnId,
      source,
      startedAt: now,
      lastActivityAt: now,
      settled: Promise.resolve(),
    };
    live.turn = turn;
    const first = live.turns === 0;
    live.turns += 1;
    const message = first
      ? withInstructions(live.plan.agent.definition.prompt, live.record.prompt_overlay, text)
      : text;
    await this.events.append(id, 'turn_started', { turn_id: turnId, source, text });
    // `done` settles only once the session is free again, so a caller that waited for it may
    // prompt again at once.
    const done = live.runner.prompt(message).then(
      async (result) => {
        this.#releaseTurn(live, turn);
        await this.events.append(id, 'turn_completed', { turn_id: turnId, stop_reason: result.stopReason });
        await this.#endTurn(live);
        return result;
      },
      async (err: unknown) => {
        this.#releaseTurn(live, turn);
        // Ended by a stop, the turn was cancelled, whatever the dying agent said.
        const failure = live.stopping
          ? new RunnerError('cancellation', `the session was stopped during the turn`)
          : err;
        await this.events.append(id, 'turn_failed', { turn_id: turnId, error: (failure as Error).message });
        await this.#endTurn(live);
        throw failure;
      },
    );
    turn.settled = done.catch(() => undefined);
    return { turn_id: turnId, session_id: id, done };
  }

  /** Stops a session (idempotent); resolves with it stopped. */
  async stop(
    id: string,
    reason: StopReason = 'user_canceled',
    detail = 'stopped by the operator',
  ): Promise<Session> {
    assertStorableText(detail, 'detail');
    const live = this.#live.get(id);
    if (!live) {
      const record = await this.record(id);
      if (record.state === 'stopped') return this.#view(record);
      if (record.owner !== this.owner) throw this.#elsewhere(record);
      // Ours but not running here (a stop whose last write failed): write down that it ended.
      const now = this.#now();
      const patch = {
        state: 'stopped' as const,
        stop_reason: reason,
        stop_detail: detail,
        stopped_at: now,
        updated_at: now,
        token_hash: null,
      };
      this.#published(
        await this.#store.update(id, patch, [stopEvent(record, { reason, detail }, undefined, now)]),
      );
      await this.events.append(id, 'state', { state: 'stopped', reason, detail });
      await this.#notifyStopped(id);
      return this.#view({ ...record, ...patch, token_hash: undefined });
    }
    await this.#stopLive(live, { reason, detail });
    return this.#view(live.record);
  }

  /** At boot: sessions this daemon was running died with it (their lifeline ended them). */
  async recover(): Promise<number> {
    const stale = await this.#store.liveOwnedBy(this.owner);
    for (const record of stale) {
      const now = this.#now();
      const detail =
        'the daemon stopped while this session was live; its agent process ended with the daemon';
      this.#published(
        await this.#store.update(
          record.id,
          {
            state: 'stopped',
            stop_reason: 'error',
            stop_detail: detail,
            stopped_at: now,
            updated_at: now,
            token_hash: null,
          },
          [stopEvent(record, { reason: 'error', detail }, undefined, now, { recovered: true })],
        ),
      );
      await this.events.append(record.id, 'state', { state: 'stopped', reason: 'error', recovered: true });
    }
    if (stale.length > 0)
      this.#deps.logger.warn(
        { count: stale.length },
        'sessions left live by a previous daemon marked stopped',
      );
    return stale.length;
  }

  /** Daemon shutdown: every live session stops with reason `shutdown`. */
  async shutdown(): Promise<void> {
    this.#closing = true;
    await Promise.all(
      [...this.#live.values()].map((live) =>
        this.#stopLive(live, { reason: 'shutdown', detail: 'daemon shutdown' }),
      ),
    );
  }

  /** Live child sessions of `parentId` that must stop with it. */
  async #stopChildrenOf(parentId: string): Promise<void> {
    const children = await this.#store.list({
      parent_session_id: parentId,
      states: ['starting', 'active', 'stopping'],
    });
    await Promise.all(
      children
        .filter((c) => c.lineage.auto_stop_on_parent && this.#live.has(c.id))
        .map((c) => this.stop(c.id, 'user_canceled', 'spawn_reaper:parent_stopped').catch(() => undefined)),
    );
  }

  async #notifyStopped(id: string): Promise<void> {
    await this.#deps
      .onStopped?.(id)
      .catch((err: unknown) =>
        this.#deps.logger.warn({ err, session_id: id }, 'a session-stopped listener failed'),
      );
  }

  isLiveHere(id: string): boolean {
    return this.#live.has(id);
  }

  async #liveFor(id: string, action: string): Promise<LiveSession> {
    const live = this.#live.get(id);
    if (live && live.record.state === 'active') return live;
    const record = live?.record ?? (await this.record(id));
    if (record.state !== 'active') {
      throw new AppError('session_not_active', `cannot ${action} session ${id}: it is ${record.state}`, {
        suggestedCommand: `agh session show ${id}`,
      });
    }
    throw this.#elsewhere(record);
  }

  #elsewhere(record: SessionRecord): AppError {
    return new AppError(
      'session_elsewhere',
      `session ${record.id} is run by another daemon (${record.owner}); ask that one`,
    );
  }

  async #stopLive(live: LiveSession, ending: Ending): Promise<void> {
    live.stopping ??= (async () => {
      if (live.finalized) return;
      const now = this.#now();
      // A store that fails must not keep the agent alive: the process is ended regardless.
      await this.#store
        .update(live.record.id, { state: 'stopping', updated_at: now })
        .catch((err: unknown) =>
          this.#deps.logger.error({ err, session_id: live.record.id }, 'cannot record stopping'),
        );
      live.record.state = 'stopping';
      live.record.updated_at = now;
      await this.events.append(live.record.id, 'state', { state: 'stopping', reason: ending.reason });
      const turn = live.turn;
      if (turn) {
        await live.runner.cancel().catch(() => undefined);
        // A well-behaved agent answers the cancel by ending the turn; give it a moment to.
        await Promise.race([turn.settled, delay(CANCEL_WAIT_MS)]);
      }
      await live.runner.stop();
      await this.#finalize(live, ending);
    })();
    await live.stopping;
  }

  async #onExit(live: LiveSession, exit: RunnerExit): Promise<void> {
    live.processAlive = false;
    if (live.stopping || live.finalized) return;
    const how = describeExit(exit);
    if (live.record.runner === 'process' && exit.code === 0) {
      await this.#finalize(live, { reason: 'completed', detail: 'the agent process exited with status 0' });
    } else if (exit.code === 0) {
      await this.#finalize(live, {
        reason: 'error',
        detail: 'the agent process exited unexpectedly (status 0)',
        failure: { kind: 'process_exit', summary: 'process exited unexpectedly' },
      });
    } else {
      await this.#finalize(live, {
        reason: 'agent_crashed',
        detail: `the agent process died: ${how}`,
        failure: { kind: 'process_exit', summary: how },
      });
    }
  }

  async #finalize(live: LiveSession, ending: Ending): Promise<void> {
    if (live.finalized) return;
    live.finalized = true;
    const id = live.record.id;
    await this.events.flush(id);
    const now = this.#now();
    const patch = {
      state: 'stopped' as const,
      stop_reason: ending.reason,
      stop_detail: ending.detail,
      stopped_at: now,
      updated_at: now,
      token_hash: null,
      ...(ending.failure ? { failure: ending.failure } : {}),
    };
    try {
      this.#published(
        await this.#store.update(id, patch, [stopEvent(live.record, ending, ending.failure, now)]),
      );
    } catch (err) {
      // The row stays live in the store; the next boot's recovery marks it stopped.
      this.#deps.logger.error({ err, session_id: id }, 'cannot record that the session stopped');
    }
    Object.assign(live.record, patch);
    delete live.record.token_hash;
    live.turn = undefined;
    await this.events.append(id, 'state', {
      state: 'stopped',
      reason: ending.reason,
      detail: ending.detail,
      ...(ending.failure ? { failure_kind: ending.failure.kind } : {}),
    });
    // Only now: a stream opened meanwhile still follows the session and gets the event above.
    this.#live.delete(id);
    this.events.forget(id);
    await this.#notifyStopped(id);
    this.#deps.logger.info(
      { session_id: id, reason: ending.reason, detail: ending.detail },
      'session stopped',
    );
    if (!this.#closing) void this.#stopChildrenOf(id).catch(() => undefined);
  }

  #releaseTurn(live: LiveSession, turn: Turn): void {
    if (live.turn === turn) live.turn = undefined;
  }

  async #endTurn(live: LiveSession): Promise<void> {
    if (live.finalized) return;
    const now = this.#now();
    live.record.last_activity_at = now;
    live.record.updated_at = now;
    await this.#store
      .update(live.record.id, { last_activity_at: now, updated_at: now })
      .catch(() => undefined);
  }

  #makeRunner(record: SessionRecord, plan: SessionPlan, token: string): Runner {
    const request = runnerRequest(record, plan, token, {
      apiUrl: this.#deps.apiUrl(),
      home: this.#deps.home,
      realHome: this.#realHome,
      baseEnv: this.#deps.baseEnv ?? process.env,
      settings: this.#deps.settings,
      onEvent: (event) => {
        const turn = this.#live.get(record.id)?.turn;
        if (turn) {
          turn.lastActivityAt = this.#clock.now();
          turn.lastKind = event.type;
        }
        void this.events.append(record.id, event.type, event.data);
      },
    });
    return this.#deps.runners.create(request);
  }

  /** Hands committed lifecycle events to the daemon's live listeners. */
  #published(events: readonly LogEvent[]): void {
    this.#deps.bus.publish(events);
  }

  #view(record: SessionRecord): Session {
    const live = this.#live.get(record.id);
    const facts = live
      ? {
          processAlive: live.processAlive,
          ...(live.turn
            ? {
                turn: {
                  id: live.turn.id,
                  source: live.turn.source,
                  startedAt: live.turn.startedAt,
                  lastActivityAt: live.turn.lastActivityAt,
                  ...(live.turn.lastKind !== undefined ? { lastKind: live.turn.lastKind } : {}),
                },
              }
            : {}),
        }
      : undefined;
    return toSessionView(record, facts, this.#clock.now());
  }

  #now(): string {
    return this.#clock.now().toISOString();
  }
}

/** The agent's instructions travel with its first turn: ACP has no system prompt of its own. */
function withInstructions(prompt: string, overlay: string | undefined, text: string): string {
  const instructions = overlay ? `${prompt}\n\n${overlay}` : prompt;
  return `${instructions}\n\n---\n\n${text}`;
}
