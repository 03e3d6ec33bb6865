// Auto-enqueue on ready: when a leased run completes, dependents that opted in and
// are now ready get a run, keyed by (dependent, completed run) so that two blockers finishing at
// once still queue exactly one. Best effort: a refusal is logged, never surfaced to the completer.
import { enqueueRun } from './enqueue.ts';
import type { TaskKernel } from './kernel.ts';
import type { RunRecord } from './records.ts';
import type { Actor } from './types.ts';

export async function autoEnqueueDependents(
  kernel: TaskKernel,
  completed: RunRecord,
  actor: Actor,
): Promise<void> {
  let dependents: string[];
  try {
    dependents = await kernel.read.tasks.dependents(completed.task_id);
  } catch (err) {
    kernel.logger.warn({ err, run_id: completed.id }, 'auto-enqueue: cannot list dependents');
    return;
  }
  for (const id of dependents) {
    try {
      await kernel.write(actor, async (unit) => {
        const task = await unit.q.tasks.get(id, true);
        if (!task?.auto_enqueue_on_ready || task.status !== 'ready' || task.paused_by_task_id !== null)
          return;
        if (await unit.q.runs.openRunOf(id)) return;
        await enqueueRun(unit, task, { idempotencyKey: `task.auto_enqueue.${id}.${completed.id}` });
      });
    } catch (err) {
      kernel.logger.info({ err, task_id: id, run_id: completed.id }, 'auto-enqueue skipped');
    }
  }
}
