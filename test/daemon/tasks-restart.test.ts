// Kill the daemon mid-work (SIGKILL), start it again: every acknowledged transition is still there,
// the run held by the dead daemon's session goes back to the queue (same run, same attempt), and
// the timeline says why.
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { Api } from '../helpers/api.ts';
import { FAKE_PROCESS_AGENT, fixtureCommand, putAgent } from '../helpers/agents.ts';
import {
  killStarted,
  removeTempDirs,
  startForegroundDaemon,
  tempDir,
  tempHome,
} from '../helpers/daemon-process.ts';

const TOKEN = 'daemon-tasks-restart-token-0123456789';

describe('the task kernel across a daemon crash', () => {
  after(() => {
    killStarted();
    removeTempDirs();
  });

  test('leases recover after SIGKILL; no acknowledged transition is lost', async () => {
    const home = tempHome();
    const daemon = await startForegroundDaemon(home, { env: { AGH_OPERATOR_TOKEN: TOKEN } });
    const api = new Api(daemon.url, TOKEN);
    const root = realpathSync(tempDir());
    putAgent(root, 'worker', { provider: 'process', command: fixtureCommand(FAKE_PROCESS_AGENT) });
    const session = await api.post('/api/sessions', { body: { agent_name: 'worker', workspace_path: root } });
    assert.equal(session.status, 201, session.text);
    const headers = { 'x-agh-session-id': session.body.session.id, 'x-agh-agent': 'worker' };
    const ws = session.body.session.workspace_id;

    const ids: string[] = [];
    for (const title of ['done before the crash', 'in flight at the crash', 'still queued']) {
      const task = await api.post('/api/tasks', { body: { scope: 'workspace', workspace: ws, title } });
      await api.post(`/api/tasks/${task.body.task.id}/start`, { body: {} });
      ids.push(task.body.task.id);
    }
    const first = await api.post('/api/agent/tasks/claim-next', { body: {}, headers });
    assert.equal(first.body.claim.task.id, ids[0]);
    const done = await api.post(`/api/agent/tasks/${first.body.claim.run.id}/complete`, {
      body: { result: 'ok' },
      headers,
    });
    assert.equal(done.status, 200);
    const second = await api.post('/api/agent/tasks/claim-next', { body: {}, headers });
    assert.equal(second.body.claim.task.id, ids[1]);
    const beat = await api.post(`/api/agent/tasks/${second.body.claim.run.id}/heartbeat`, {
      body: {},
      headers,
    });
    assert.equal(beat.status, 200);
    const timelinesBefore = await Promise.all(
      ids.map(async (id) => (await api.get(`/api/tasks/${id}/timeline`)).body.timeline),
    );

    await daemon.stop('SIGKILL');
    const again = await startForegroundDaemon(home, { env: { AGH_OPERATOR_TOKEN: TOKEN } });
    const api2 = new Api(again.url, TOKEN);
    try {
      // Everything acknowledged before the crash is still there, in the same order.
      for (const [i, id] of ids.entries()) {
        const after = (await api2.get(`/api/tasks/${id}/timeline`)).body.timeline;
        assert.deepEqual(
          after.slice(0, timelinesBefore[i]!.length).map((e: any) => e.sequence),
          timelinesBefore[i]!.map((e: any) => e.sequence),
        );
      }
      const completed = (await api2.get(`/api/tasks/${ids[0]}`)).body.task;
      assert.equal(completed.task.status, 'completed');
      assert.equal(completed.runs[0].result, 'ok');

      const inFlight = (await api2.get(`/api/tasks/${ids[1]}`)).body.task;
      assert.equal(inFlight.runs.length, 1, 'the same run, not a new one');
      assert.equal(inFlight.runs[0].status, 'queued');
      assert.equal(inFlight.runs[0].attempt, 1);
      assert.equal(inFlight.runs[0].claim_token_hash, undefined);
      assert.equal(inFlight.task.status, 'ready');
      const recovered = (await api2.get(`/api/tasks/${ids[1]}/timeline`)).body.timeline.at(-1);
      assert.equal(recovered.event_type, 'task.run_recovered');
      assert.equal(recovered.payload.action, 'requeue');
      assert.equal(recovered.payload.session_id, session.body.session.id);

      assert.equal((await api2.get(`/api/tasks/${ids[2]}`)).body.task.runs[0].status, 'queued');
      const status = (await api2.get('/api/scheduler')).body.scheduler;
      assert.equal(status.active_claim_count, 0);
      assert.equal(status.queued_run_count, 2);
    } finally {
      await again.stop();
    }
  });
});
