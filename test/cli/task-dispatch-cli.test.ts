// The newcomer's path, end to end with real processes: a workspace task for a worker agent is
// created and started with the CLI, and `agh task watch` follows the dispatcher starting a session,
// the agent (the fake ACP agent, speaking the real protocol) doing the work, and the run completing.
import assert from 'node:assert/strict';
import { realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { putFakeAcpAgent } from '../helpers/agents.ts';
import {
  killStarted,
  removeTempDirs,
  runAgh,
  startForegroundDaemon,
  tempDir,
  tempHome,
} from '../helpers/daemon-process.ts';

describe('agh task watch follows the dispatcher through a whole run', () => {
  after(() => {
    killStarted();
    removeTempDirs();
  });

  test('create --agent --start, then watch until the run completes with the agent’s answer', async () => {
    const home = tempHome();
    writeFileSync(join(home, 'config.toml'), '[sessions]\nstop_grace_seconds = 1\n');
    const daemon = await startForegroundDaemon(home);
    try {
      const root = realpathSync(tempDir());
      putFakeAcpAgent(root, 'coder');
      const env = { AGH_HOME: home };
      const agh = (args: string[]) => runAgh(args, { cwd: root, env });
      assert.equal((await agh(['workspace', 'add', root, '--name', 'demo'])).code, 0);

      const created = await agh([
        'task',
        'create',
        'Write the changelog',
        '--agent',
        'coder',
        '--description',
        'summarise the last release',
        '--start',
        '-o',
        'json',
      ]);
      assert.equal(created.code, 0, created.stderr);
      const taskId = (JSON.parse(created.stdout) as { task: { id: string } }).task.id;

      const watched = await agh(['task', 'watch', taskId]);
      assert.equal(watched.code, 0, `${watched.stdout}\n${watched.stderr}`);
      for (const type of [
        'task.run_enqueued',
        'task.run_claimed',
        'task.run_started',
        'task.run_completed',
      ]) {
        assert.match(watched.stdout, new RegExp(type.replace('.', '\\.')), `watch printed ${type}`);
      }
      assert.match(watched.stdout, new RegExp(`task ${taskId} completed`));

      const shown = await agh(['task', 'show', taskId, '-o', 'json']);
      const detail = JSON.parse(shown.stdout) as {
        task: { runs: { status: string; result: unknown; session_id: string }[] };
      };
      assert.equal(detail.task.runs[0]!.status, 'completed');
      assert.equal(detail.task.runs[0]!.result, 'echo: summarise the last release');
      const sessions = await agh(['session', 'list', '-o', 'json']);
      const started = (JSON.parse(sessions.stdout) as { sessions: { id: string; agent_name: string }[] })
        .sessions;
      assert.ok(started.some((s) => s.id === detail.task.runs[0]!.session_id && s.agent_name === 'coder'));
    } finally {
      await daemon.stop();
    }
  });
});
