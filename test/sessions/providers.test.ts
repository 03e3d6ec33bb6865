import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { FAKE_ACP_AGENT, fixtureCommand, putAgent, putFakeAcpAgent, readRecord } from '../helpers/agents.ts';
import { scratchDir, startTestApp, type TestApp } from '../helpers/app.ts';

describe('providers and defaults from config.toml', () => {
  let t: TestApp;
  let root: string;
  let ws: string;
  before(async () => {
    t = await startTestApp({
      config: {
        defaults: { agent: 'house' },
        providers: {
          house: { command: fixtureCommand(FAKE_ACP_AGENT), display_name: 'House agent', model: 'h-1' },
        },
      },
    });
    root = realpathSync(scratchDir());
    ws = (await t.api.post('/api/workspaces', { body: { root_dir: root, name: 'prov' } })).body.workspace.id;
  });
  after(async () => t.close());

  test('a configured provider gives agents its command and model, and is listed', async () => {
    putAgent(root, 'house', { provider: 'house' });
    const created = await t.api.post('/api/sessions', { body: { workspace: ws } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.session.agent_name, 'house', '[defaults].agent picks the agent');
    assert.equal(created.body.session.provider, 'house');
    assert.equal(created.body.session.model, 'h-1');
    const detail = await t.api.get(`/api/workspaces/${ws}`);
    const house = detail.body.providers.find((p: { name: string }) => p.name === 'house');
    assert.deepEqual(house, {
      name: 'house',
      display_name: 'House agent',
      harness: 'acp',
      runtime_provider: 'house',
    });
    await t.api.post(`/api/sessions/${created.body.session.id}/stop`);
  });

  test("an agent's own command wins over its provider's, and a workspace default agent over [defaults]", async () => {
    const record = putFakeAcpAgent(root, 'own', [], { provider: 'house' });
    await t.api.patch(`/api/workspaces/${ws}`, { body: { default_agent: 'own' } });
    const created = await t.api.post('/api/sessions', { body: { workspace: ws } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.session.agent_name, 'own');
    assert.equal(readRecord(record).length > 0, true, 'the agent command of AGENT.md ran');
    await t.api.post(`/api/sessions/${created.body.session.id}/stop`);
    await t.api.patch(`/api/workspaces/${ws}`, { body: { default_agent: '' } });
  });

  test('the built-in general agent runs on the default provider, whose command can be replaced', async () => {
    const app = await startTestApp({
      config: { providers: { claude: { command: fixtureCommand(FAKE_ACP_AGENT) } } },
    });
    try {
      const dir = realpathSync(scratchDir());
      const created = await app.api.post('/api/sessions', { body: { workspace_path: dir } });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.session.agent_name, 'general');
      assert.equal(created.body.session.provider, 'claude');
      const turn = await app.api.post(`/api/sessions/${created.body.session.id}/prompt`, {
        body: { text: 'hi', wait: true },
      });
      assert.equal(turn.body.turn.text, 'echo: hi');
    } finally {
      await app.close();
    }
  });
});
