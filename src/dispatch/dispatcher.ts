// The dispatcher: queued work gets a session. A run that no idle session will
// take starts a session of the task's worker agent (the pool owner, else the workspace's default
// agent) within the global and per-workspace limits. For ACP agents the daemon claims on the
// session's behalf, prompts the agent with the task, keeps the lease alive while the turn runs and
// completes or fails the run from the turn; process agents drive their lease themselves through
// /api/agent/tasks/*. Sessions it started are stopped once idle for long enough.
import type { Logger } from 'pino';
import { AppError } from '../lib/errors.ts';
import type { Clock } from '../lib/clock.ts';
import type { SessionManager } from '../sessions/index.ts';
import { daemonActor, type TaskKernel } from '../tasks/kernel.ts';
import { type LeaseCaller, type LeaseService, WORK_MAY_BE_CLAIMABLE } from '../tasks/leases.ts';
import type { RunRecord, TaskRecord } from '../tasks/records.ts';
import type { Outcome } from '../tasks/run-finish.ts';
import type { RunOperations, RunSessionStarter } from '../tasks/run-ops.ts';
import { taskPrompt } from './prompt.ts';
import type { DispatcherSettings } from '../settings/settings.ts';

export type { DispatcherSettings };

/** Where the dispatcher learns a workspace's default agent. */
export interface WorkspaceDefaults {
  find(ref: string): Promise<{ id: string; default_agent?: string | undefined }>;
}

interface Managed {
  id: string;
  workspaceId: string;
  agent: string;
  runner: string;
  /** It took work at least once (else its ending counts as a failed start). */
  worked: boolean;
  /** The lease identity the daemon uses for this session's runs. */
  caller?: LeaseCaller;
  /** The run this session works on right now (ACP: driven by the daemon). */
  run: string | undefined;
  idleSince: number;
}

export class Dispatcher implements RunSessionStarter {
  readonly #kernel: TaskKernel;
  readonly #sessions: SessionManager;
  readonly #leases: LeaseService;
  readonly #runs: RunOperations;
  readonly #workspaces: WorkspaceDefaults;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #settings: DispatcherSettings;
  readonly #managed = new Map<string, Managed>();
  readonly #backoff = new Map<string, number>();
  readonly #drives = new Set<Promise<void>>();
  #pass: Promise<void> | undefined;
  #again = false;
  #closed = false;
  readonly #unsubscribe: () => void;

  constructor(deps: {
    kernel: TaskKernel;
    sessions: SessionManager;
    leases: LeaseService;
    runs: RunOperations;
    workspaces: WorkspaceDefaults;
    logger: Logger;
    settings: DispatcherSettings;
  }) {
    this.#kernel = deps.kernel;
    this.#sessions = deps.sessions;
    this.#leases = deps.leases;
    this.#runs = deps.runs;
    this.#workspaces = deps.workspaces;
    this.#clock = deps.kernel.clock;
    this.#logger = deps.logger;
    this.#settings = deps.settings;
    this.#unsubscribe = deps.kernel.bus.subscribe((event) => {
      if (WORK_MAY_BE_CLAIMABLE.has(event.type)) this.poke();
    });
  }

  get settings(): DispatcherSettings {
    return this.#settings;
  }

  /** Asks for a dispatch pass (coalesced: at most one runs, and one more is queued behind it). */
  poke(): void {
    if (!this.#settings.enabled || this.#closed) return;
    if (this.#pass) {
      this.#again = true;
      return;
    }
    this.#pass = (async () => {
      try {
        do {
          this.#again = false;
          await this.#dispatch();
        } while (this.#again && !this.#closed);
      } catch (err) {
        this.#logger.error({ err }, 'dispatch pass failed; the next event or tick tries again');
      } finally {
        this.#pass = undefined;
      }
    })();
  }

  /** Waits for the current pass and every run being driven (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.#pass || this.#drives.size > 0) {
      await this.#pass;
      await Promise.allSettled([...this.#drives]);
    }
  }

  /** The periodic step: stop sessions idle for too long, then look for work. */
  async tick(): Promise<void> {
    // Never alongside a dispatch pass, which might be handing the "idle" session a run right now.
    await this.#pass;
    await this.#prune();
    const now = this.#clock.now().getTime();
    for (const m of [...this.#managed.values()]) {
      if (m.run) continue;
      if (m.runner !== 'acp' && (await this.#kernel.read.runs.activeOfSession(m.id)).length > 0) {
        // A process agent drives its own lease: while it holds one, it is not idle.
        m.worked = true;
        m.idleSince = now;
        continue;
      }
      if (now - m.idleSince < this.#settings.idleStopMs || this.#pass) continue;
      this.#managed.delete(m.id);
      this.#logger.info({ session_id: m.id, agent: m.agent }, 'stopping an idle dispatcher session');
      try {
        await this.#sessions.stop(
          m.id,
          'completed',
          `idle for ${Math.round((now - m.idleSince) / 1000)}s with no task to work on`,
        );
      } catch (err) {
        this.#logger.warn({ err, session_id: m.id }, 'could not stop an idle dispatcher session');
      }
    }
    this.poke();
    await this.#pass;
  }

  /**
   * Stops dispatching. Runs the daemon drives go back to the queue (same run, same attempt) before
   * their sessions are stopped, so a restart costs no attempt.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe();
    await this.#pass;
    for (const m of this.#managed.values()) {
      if (!m.run || !m.caller) continue;
      await this.#leases
        .release(m.caller, m.run, { reason: 'the daemon is shutting down' })
        .catch((err: unknown) =>
          this.#logger.info({ err, run_id: m.run }, 'no lease to hand back at shutdown'),
        );
    }
  }

  /**
   * Forgets sessions that ended. One that ended without ever taking work did not really start (an
   * agent that exits at once): that counts as a failed start, with the same pause and report.
   */
  async #prune(): Promise<void> {
    for (const m of [...this.#managed.values()]) {
      if (this.#sessions.isLiveHere(m.id)) continue;
      this.#managed.delete(m.id);
      if (m.worked) continue;
      const record = await this.#sessions.record(m.id).catch(() => undefined);
      const why = record?.stop_detail ?? 'the session ended before it took any work';
      this.#backoff.set(
        `${m.workspaceId}\u0000${m.agent}`,
        this.#clock.now().getTime() + this.#settings.retryAfterMs,
      );
      await this.#reportStartFailure(
        m.workspaceId,
        m.agent,
        `the agent's session ended before it took any work: ${why}`,
      );
    }
  }

  async #dispatch(): Promise<void> {
    await this.#prune();
    if ((await this.#kernel.read.scheduler.get()).paused) return;
    const { runs } = await this.#kernel.read.runs.queued({ includePaused: false, limit: 200 });
    const tasks = await this.#kernel.read.tasks.getMany([...new Set(runs.map((r) => r.task_id))]);
    const wanted = new Map<string, { workspaceId: string; agent: string; count: number }>();
    for (const run of runs) {
      const task = tasks.get(run.task_id);
      if (!task || task.status !== 'ready' || task.scope !== 'workspace' || !task.workspace_id) continue;
      if (task.owner && task.owner.kind !== 'pool') continue;
      if (this.#leases.hasEligibleWaiter(task)) continue;
      const agent = task.owner?.ref ?? (await this.#defaultAgent(task.workspace_id));
      if (!agent) continue;
      const key = `${task.workspace_id}\u0000${agent}`;
      const entry = wanted.get(key) ?? { workspaceId: task.workspace_id, agent, count: 0 };
      entry.count += 1;
      wanted.set(key, entry);
    }
    for (const [key, want] of wanted) {
      let need = want.count;
      // Idle sessions of this agent take work first.
      for (const m of this.#managed.values()) {
        if (need === 0) break;
        if (m.workspaceId !== want.workspaceId || m.agent !== want.agent || m.run) continue;
        if (!this.#sessions.isLiveHere(m.id)) continue;
        if (m.runner === 'acp') {
          if (await this.#claimAndDrive(m)) need -= 1;
        } else if ((await this.#kernel.read.runs.activeOfSession(m.id)).length === 0) {
          need -= 1; // a process agent claims for itself
        }
      }
      while (need > 0 && this.#hasCapacity(want.workspaceId) && !this.#closed) {
        if ((this.#backoff.get(key) ?? 0) > this.#clock.now().getTime()) break;
        const m = await this.#startSession(want.workspaceId, want.agent, key);
        if (!m) break;
        need -= 1;
        if (m.runner === 'acp' && !(await this.#claimAndDrive(m))) break;
      }
    }
  }

  #hasCapacity(workspaceId: string): boolean {
    const live = [...this.#managed.values()].filter((m) => this.#sessions.isLiveHere(m.id));
    return (
      live.length < this.#settings.maxSessions &&
      live.filter((m) => m.workspaceId === workspaceId).length < this.#settings.maxSessionsPerWorkspace
    );
  }

  async #defaultAgent(workspaceId: string): Promise<string | undefined> {
    try {
      return (await this.#workspaces.find(workspaceId)).default_agent || undefined;
    } catch {
      return undefined;
    }
  }

  async #startSession(workspaceId: string, agent: string, key: string): Promise<Managed | undefined> {
    try {
      const session = await this.#sessions.create(
        { agent_name: agent, workspace: workspaceId, name: `dispatch-${agent}` },
        { type: 'system' },
      );
      const record = await this.#sessions.record(session.id);
      const m: Managed = {
        id: session.id,
        workspaceId,
        agent,
        runner: record.runner,
        run: undefined,
        worked: false,
        idleSince: this.#clock.now().getTime(),
      };
      this.#managed.set(m.id, m);
      this.#logger.info(
        { session_id: m.id, agent, workspace_id: workspaceId },
        'dispatcher started a session for queued work',
      );
      return m;
    } catch (err) {
      this.#backoff.set(key, this.#clock.now().getTime() + this.#settings.retryAfterMs);
      this.#logger.warn({ err, agent, workspace_id: workspaceId }, 'dispatcher could not start a session');
      await this.#reportStartFailure(workspaceId, agent, (err as Error).message);
      return undefined;
    }
  }

  /** Tells the waiting tasks why nothing happens, once per failure, on their timelines. */
  async #reportStartFailure(workspaceId: string, agent: string, error: string): Promise<void> {
    const { runs } = await this.#kernel.read.runs.queued({ workspaceId, includePaused: false, limit: 50 });
    await this.#kernel.write(daemonActor('dispatcher'), async (unit) => {
      for (const run of runs) {
        const task = await unit.q.tasks.get(run.task_id);
        const worker = task?.owner?.kind === 'pool' ? task.owner.ref : undefined;
        if (!task || (worker !== undefined && worker !== agent)) continue;
        unit.emit(
          task.id,
          'task.dispatch_failed',
          { agent, workspace_id: workspaceId, error, retry_after_ms: this.#settings.retryAfterMs },
          run.id,
        );
      }
    });
  }

  /** Claims the best run for an idle ACP session and drives it in the background. */
  async #claimAndDrive(m: Managed): Promise<boolean> {
    const caller: LeaseCaller = {
      sessionId: m.id,
      agentName: m.agent,
      workspaceId: m.workspaceId,
      channel: null,
    };
    let claim;
    try {
      claim = await this.#leases.claimNext(caller, { lease_seconds: this.#settings.leaseSeconds });
    } catch (err) {
      this.#logger.warn({ err, session_id: m.id }, 'dispatcher could not claim for its session');
      return false;
    }
    if (!claim) return false;
    m.run = claim.run.id;
    m.worked = true;
    m.caller = caller;
    this.#track(this.#driveLease(m, caller, claim.task, claim.run));
    return true;
  }

  #track(drive: Promise<void>): void {
    this.#drives.add(drive);
    void drive.finally(() => this.#drives.delete(drive));
  }

  async #driveLease(m: Managed, caller: LeaseCaller, task: TaskRecord, run: RunRecord): Promise<void> {
    const heartbeatMs = Math.max(1000, (this.#settings.leaseSeconds * 1000) / 3);
    const heartbeat = setInterval(() => {
      this.#leases
        .heartbeat(caller, run.id, { lease_seconds: this.#settings.leaseSeconds })
        .catch((err: unknown) => {
          this.#logger.warn({ err, run_id: run.id }, 'lease heartbeat refused');
        });
    }, heartbeatMs);
    heartbeat.unref();
    try {
      await this.#leases.markRunning(caller, run.id);
      await this.#leases.finish(caller, run.id, await this.#turn(m, task, run));
    } catch (err) {
      // The run was canceled, released or expired meanwhile: its new owner decides.
      this.#logger.info({ err, run_id: run.id }, 'dispatcher stopped driving a run it no longer holds');
    } finally {
      clearInterval(heartbeat);
      m.run = undefined;
      m.idleSince = this.#clock.now().getTime();
      this.poke();
    }
  }

  /** How the agent's turn on the run ended: its final message as the result, or why it failed. */
  async #turn(m: Managed, task: TaskRecord, run: RunRecord): Promise<Outcome> {
    try {
      const started = await this.#sessions.prompt(m.id, taskPrompt(task, run), 'dispatcher');
      const result = await started.done;
      if (result.stopReason === 'end_turn') return { status: 'completed', result: result.text };
      return {
        status: 'failed',
        error: `the agent ended its turn with "${result.stopReason}": ${result.text.slice(0, 500)}`,
      };
    } catch (err) {
      return { status: 'failed', error: `the agent failed: ${(err as Error).message}` };
    }
  }

  // ---- RunSessionStarter: POST /api/task-runs/{id}/start

  async check(task: TaskRecord): Promise<void> {
    await this.#workerFor(task);
  }

  async abandon(sessionId: string): Promise<void> {
    this.#managed.delete(sessionId);
    await this.#sessions
      .stop(sessionId, 'completed', 'its run ended before it started')
      .catch(() => undefined);
  }

  async #workerFor(task: TaskRecord): Promise<{ workspaceId: string; agent: string }> {
    if (task.scope !== 'workspace' || !task.workspace_id) {
      throw new AppError(
        'task_invalid',
        `task "${task.id}" is global: only workspace tasks get a session of their own (a session needs a directory to work in)`,
      );
    }
    const agent = task.owner?.kind === 'pool' ? task.owner.ref : await this.#defaultAgent(task.workspace_id);
    if (!agent) {
      throw new AppError(
        'task_invalid',
        `task "${task.id}" has no worker agent: give it a pool owner (agh task create --agent) or its workspace a default_agent`,
      );
    }
    return { workspaceId: task.workspace_id, agent };
  }

  async startFor(task: TaskRecord, _run: RunRecord): Promise<string> {
    const { workspaceId, agent } = await this.#workerFor(task);
    const session = await this.#sessions.create(
      { agent_name: agent, workspace: workspaceId, name: `run-${agent}` },
      { type: 'system' },
    );
    const record = await this.#sessions.record(session.id);
    this.#managed.set(session.id, {
      id: session.id,
      workspaceId,
      agent,
      runner: record.runner,
      run: _run.id,
      worked: true,
      idleSince: this.#clock.now().getTime(),
    });
    return session.id;
  }

  drive(runId: string): void {
    this.#track(this.#driveManual(runId));
  }

  async #driveManual(runId: string): Promise<void> {
    const run = await this.#kernel.read.runs.get(runId);
    const m = run?.session_id ? this.#managed.get(run.session_id) : undefined;
    if (!run || !m || m.runner !== 'acp') return;
    const task = await this.#kernel.read.tasks.get(run.task_id);
    if (!task) return;
    const actor = daemonActor('dispatcher');
    try {
      await this.#runs.finish(runId, await this.#turn(m, task, run), actor);
    } catch (err) {
      this.#logger.info({ err, run_id: runId }, 'a manually started run ended elsewhere');
    } finally {
      m.run = undefined;
      m.idleSince = this.#clock.now().getTime();
    }
  }
}
