import assert from 'node:assert/strict';
import { realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Api } from '../helpers/api.ts';
import { eventually, putFakeAcpAgent, readRecord } from '../helpers/agents.ts';
import {
  isAlive,
  killStarted,
  removeTempDirs,
  startForegroundDaemon,
  tempDir,
  tempHome,
} from '../helpers/daemon-process.ts';

const TOKEN = 'daemon-sessions-test-token-0123456789';

async function daemonWithSession(home: string, args: string[]) {
  writeFileSync(join(home, 'config.toml'), '[sessions]\nstop_grace_seconds = 1\n');
  const daemon = await startForegroundDaemon(home, { env: { AGH_OPERATOR_TOKEN: TOKEN } });
  const api = new Api(daemon.url, TOKEN);
  const root = realpathSync(tempDir());
  const record = putFakeAcpAgent(root, 'coder', args);
  const created = await api.post('/api/sessions', { body: { agent_name: 'coder', workspace_path: root } });
  assert.equal(created.status, 201, created.text);
  const entries = readRecord(record);
  return {
    daemon,
    api,
    record,
    id: created.body.session.id as string,
    pid: entries.find((e) => e.event === 'started')?.pid as number,
    child: entries.find((e) => e.event === 'child')?.child_pid as number | undefined,
  };
}

describe('sessions across daemon stops, crashes and restarts', () => {
  after(() => {
    killStarted();
    removeTempDirs();
  });

  test('killing the daemon (SIGKILL) leaves no agent process behind, and a restart says what happened', async () => {
    const home = tempHome();
    const { daemon, id, pid, child } = await daemonWithSession(home, ['--ignore-term', '--child']);
    assert.equal(isAlive(pid), true);
    assert.equal(child !== undefined && isAlive(child), true);
    await daemon.stop('SIGKILL');
    // The lifeline closes with the daemon: SIGTERM at once, SIGKILL after the 1 s grace.
    await eventually(() => !isAlive(pid) && !isAlive(child as number), 'the agent and its child to end');

    const again = await startForegroundDaemon(home, { env: { AGH_OPERATOR_TOKEN: TOKEN } });
    const api = new Api(again.url, TOKEN);
    const shown = await api.get(`/api/sessions/${id}`);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.session.state, 'stopped');
    assert.equal(shown.body.session.stop_reason, 'error');
    assert.match(shown.body.session.stop_detail, /daemon stopped while this session was live/);
    await again.stop();
  });

  test('a daemon killed while its sessions are stopping still takes a stubborn agent with it', async () => {
    const home = tempHome();
    const { daemon, record, pid, child } = await daemonWithSession(home, ['--ignore-term', '--child']);
    daemon.child.kill('SIGTERM');
    // Once the stop has begun (the agent got its SIGTERM), kill the daemon within the grace period.
    await eventually(
      () => readRecord(record).some((e) => e.event === 'sigterm'),
      'the agent to be sent SIGTERM',
    );
    await daemon.stop('SIGKILL');
    await eventually(() => !isAlive(pid) && !isAlive(child as number), 'the agent and its child to end');
  });

  test('after the daemon dies, a descendant that ignores SIGTERM is killed too', async () => {
    const home = tempHome();
    const { daemon, pid, child } = await daemonWithSession(home, ['--stubborn-child']);
    assert.equal(child !== undefined && isAlive(child), true);
    await daemon.stop('SIGKILL');
    await eventually(
      () => !isAlive(pid) && !isAlive(child as number),
      'the agent and its stubborn child to end',
    );
  });

  test('stopping the daemon stops its sessions with reason shutdown', async () => {
    const home = tempHome();
    const { daemon, id, pid } = await daemonWithSession(home, []);
    const stopped = await daemon.stop('SIGTERM');
    assert.equal(stopped.code, 0);
    assert.equal(isAlive(pid), false);
    const again = await startForegroundDaemon(home, { env: { AGH_OPERATOR_TOKEN: TOKEN } });
    const shown = await new Api(again.url, TOKEN).get(`/api/sessions/${id}`);
    assert.equal(shown.body.session.stop_reason, 'shutdown');
    assert.equal(shown.body.session.stop_detail, 'daemon shutdown');
    await again.stop();
  });
});
