// The prompt an ACP agent gets for a task run: who and what, then a rule, then the brief itself, so
// the work comes last and stands on its own. The agent's last message of the turn is the result.
import type { RunRecord, TaskRecord } from '../tasks/records.ts';

export function taskPrompt(task: TaskRecord, run: RunRecord): string {
  const lines = [
    `You are working on task ${task.id}${task.identifier ? ` (${task.identifier})` : ''}: ${task.title}`,
    `Run ${run.id}, attempt ${run.attempt} of ${task.max_attempts}, priority ${task.priority}.`,
  ];
  if (run.attempt > 1)
    lines.push('An earlier attempt did not succeed; check the workspace for its leftovers.');
  if (task.metadata !== undefined) lines.push(`Context (JSON): ${JSON.stringify(task.metadata)}`);
  lines.push(
    'Do the work in this workspace. When you are done, end your turn with a short final message that states the result: it is recorded as the run result.',
  );
  return `${lines.join('\n')}\n\n---\n\n${task.description?.trim() || task.title}`;
}
