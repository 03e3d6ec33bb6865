import assert from 'node:assert/strict';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  eventually,
  FAKE_PROCESS_AGENT,
  fixtureCommand,
  putAgent,
  putFakeAcpAgent,
} from '../helpers/agents.ts';
import { scratchDir, startTestApp, type TestApp } from '../helpers/app.ts';
import { put } from '../helpers/fs.ts';

describe('the Agent API: identity, me, context, coordinator config, soul', () => {
  let t: TestApp;
  let root: string;
  let ws: string;
  let session: { id: string; token: string; calls: Record<string, { status: number; body: any }> };
  before(async () => {
    t = await startTestApp({ config: { autonomy: { coordinator: { max_children: 3 } } } });
    root = realpathSync(scratchDir());
    ws = (await t.api.post('/api/workspaces', { body: { root_dir: root, name: 'agentic' } })).body.workspace
      .id;
    put(join(root, '.agh/skills/review/SKILL.md'), '# review');
    const out = join(root, '.worker-out.json');
    putAgent(root, 'worker', {
      provider: 'process',
      command: fixtureCommand(FAKE_PROCESS_AGENT, `--out=${out}`, '--calls=/api/agent/me,/api/workspaces'),
    });
    const created = await t.api.post('/api/sessions', { body: { agent_name: 'worker', workspace: ws } });
    assert.equal(created.status, 201, created.text);
    await eventually(() => {
      try {
        readFileSync(out);
        return true;
      } catch {
        return false;
      }
    }, 'the process agent to report');
    const report = JSON.parse(readFileSync(out, 'utf8'));
    session = { id: created.body.session.id, token: report.token, calls: report.calls };
    assert.equal(report.env.AGH_SESSION_ID, session.id);
    assert.equal(report.operatorToken, null);
  });
  after(async () => t.close());

  const as = (id: string, agent = 'worker', extra: Record<string, string> = {}) => ({
    headers: { 'x-agh-session-id': id, 'x-agh-agent': agent, ...extra },
  });

  test('a process agent calls the API with its injected token, and only /api/agent/*', () => {
    const me = session.calls['/api/agent/me'];
    assert.equal(me?.status, 200);
    assert.equal(me?.body.me.self.session_id, session.id);
    assert.equal(session.calls['/api/workspaces']?.status, 403);
    assert.equal(session.calls['/api/workspaces']?.body.diagnostic.code, 'session_token_scope');
  });

  test('me: identity, workspace, capabilities, coordinator and limits', async () => {
    const res = await t.api.get('/api/agent/me', { token: session.token });
    assert.equal(res.status, 200, res.text);
    const me = res.body.me;
    assert.deepEqual(me.self, { session_id: session.id, agent_name: 'worker', provider: 'process' });
    assert.deepEqual(me.workspace, { id: ws, name: 'agentic', root_dir: root });
    assert.equal(me.session.state, 'active');
    assert.equal(me.session.type, 'user');
    assert.deepEqual(me.capabilities, [
      { id: 'skill:review', source: 'skill', summary: 'skill from workspace' },
    ]);
    assert.deepEqual(me.channels, []);
    assert.deepEqual(me.active_task_leases, []);
    assert.equal(me.coordinator.max_children, 3);
    assert.equal(me.coordinator.source, 'global');
    assert.deepEqual(me.limits, {
      max_children: 5,
      max_spawn_depth: 1,
      max_active_task_leases: 1,
      context_section_limit: 8,
    });
    // The operator may act as the session with the identity headers.
    const asOperator = await t.api.get('/api/agent/me', as(session.id));
    assert.equal(asOperator.body.me.self.session_id, session.id);
  });

  test('context: the situation of the caller, every list section bounded', async () => {
    const res = await t.api.get('/api/agent/context', { token: session.token });
    assert.equal(res.status, 200, res.text);
    const c = res.body.context;
    assert.equal(c.self.session_id, session.id);
    assert.deepEqual(c.task, { available: false, task: null, lease: null, bundle: null });
    assert.deepEqual(c.capabilities.section, { limit: 8, returned: 1, truncated: false });
    assert.equal(c.soul.present, false);
    assert.equal(c.provenance.source, 'daemon.situation');
  });

  test('identity failures are 401 (or 403 for another workspace) with a diagnostic', async () => {
    const cases: Array<[Record<string, string>, number, string]> = [
      [{}, 401, 'identity_required'],
      [{ 'x-agh-session-id': session.id }, 401, 'identity_required'],
      [{ 'x-agh-session-id': 'sess-0000000000000000', 'x-agh-agent': 'worker' }, 401, 'identity_stale'],
      [{ 'x-agh-session-id': session.id, 'x-agh-agent': 'Worker' }, 401, 'identity_mismatch'],
      [
        {
          'x-agh-session-id': session.id,
          'x-agh-agent': 'worker',
          'x-agh-workspace-id': 'ws_0123456789abcdef',
        },
        403,
        'identity_unauthorized',
      ],
    ];
    for (const [headers, status, code] of cases) {
      const res = await t.api.get('/api/agent/me', { headers });
      assert.equal(res.status, status, JSON.stringify(headers));
      assert.equal(res.body.diagnostic.code, code, JSON.stringify(headers));
      assert.ok(res.body.diagnostic.suggested_command, 'says what to do');
    }
    const mismatch = await t.api.get('/api/agent/me', {
      token: session.token,
      headers: { 'x-agh-session-id': 'sess-1111111111111111' },
    });
    assert.equal(mismatch.status, 401);
    assert.equal(mismatch.body.diagnostic.code, 'identity_mismatch');
    const forged = await t.api.get('/api/agent/me', { token: 'agh_sess_not-a-real-token-at-all' });
    assert.equal(forged.status, 401);
  });

  test('coordinator config honours its workspace parameter and the workspace overlay', async () => {
    const other = realpathSync(scratchDir());
    const otherId = (await t.api.post('/api/workspaces', { body: { root_dir: other, name: 'other' } })).body
      .workspace.id;
    put(
      join(other, '.agh/config.toml'),
      '[autonomy.coordinator]\nenabled = true\nmax_children = 2\nprovider = "codex"\n',
    );
    const own = await t.api.get('/api/agent/coordinator/config', { token: session.token });
    assert.equal(own.status, 200, own.text);
    assert.deepEqual(own.body.coordinator, {
      enabled: false,
      agent_name: 'coordinator',
      provider: 'claude',
      default_ttl_seconds: 7200,
      max_children: 3,
      max_active_sessions_per_workspace: 5,
      source: 'global',
      workspace_id: ws,
    });
    const named = await t.api.get(`/api/agent/coordinator/config?workspace=${otherId}`, as(session.id));
    assert.equal(named.status, 200, named.text);
    assert.equal(named.body.coordinator.workspace_id, otherId);
    assert.equal(named.body.coordinator.enabled, true);
    assert.equal(named.body.coordinator.max_children, 2);
    assert.equal(named.body.coordinator.provider, 'codex');
    assert.equal(named.body.coordinator.source, 'workspace');
    const byName = await t.api.get('/api/agent/coordinator/config?workspace=other', as(session.id));
    assert.equal(byName.body.coordinator.workspace_id, otherId);
    const refused = await t.api.get(`/api/agent/coordinator/config?workspace=${otherId}`, {
      token: session.token,
    });
    assert.equal(refused.status, 403);
    const unknown = await t.api.get('/api/agent/coordinator/config?workspace=nowhere', as(session.id));
    assert.equal(unknown.status, 404);
    // A session cannot even tell whether another workspace exists.
    const probing = await t.api.get('/api/agent/coordinator/config?workspace=nowhere', {
      token: session.token,
    });
    assert.equal(probing.status, 403);
    put(join(other, '.agh/config.toml'), '[autonomy.coordinator]\nmax_childs = 2\n');
    const broken = await t.api.get(`/api/agent/coordinator/config?workspace=${otherId}`, as(session.id));
    assert.equal(broken.status, 400);
    assert.match(broken.body.error, /config\.toml: unknown key autonomy\.coordinator\.max_childs/);
  });

  test('soul: missing is valid; a good one has a digest; a bad one is 422 with diagnostics', async () => {
    const missing = await t.api.get('/api/agent/soul', { token: session.token });
    assert.equal(missing.status, 200, missing.text);
    assert.equal(missing.body.present, false);
    assert.equal(missing.body.validation_status, 'missing');

    const soulPath = join(root, '.agh/agents/worker/SOUL.md');
    put(soulPath, '---\nrole: reviewer\ntone: [calm, "  "]\nversion: 2\n---\nBe kind.\r\n\r\n');
    const good = await t.api.get('/api/agent/soul', { token: session.token });
    assert.equal(good.status, 200, good.text);
    assert.equal(good.body.validation_status, 'valid');
    assert.equal(good.body.active, true);
    assert.deepEqual(good.body.frontmatter, { role: 'reviewer', tone: ['calm'], version: '2' });
    assert.equal(good.body.body, 'Be kind.');
    assert.equal(good.body.source_path, '.agh/agents/worker/SOUL.md');
    assert.match(good.body.digest, /^sha256:[0-9a-f]{64}$/);

    put(soulPath, '---\nrole: x\ntools: [shell]\nmood: happy\n---\nfine\n\n## Claim Token\nno\n');
    const bad = await t.api.get('/api/agent/soul', { token: session.token });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.diagnostic.code, 'soul_invalid');
    const diagnostics = bad.body.diagnostic.evidence.diagnostics;
    assert.deepEqual(
      diagnostics.map((d: { code: string; line: number }) => [d.code, d.line]),
      [
        ['forbidden_field', 3],
        ['unsupported_field', 4],
        ['reserved_section', 8],
      ],
    );
    assert.equal(diagnostics[0].owner_surface, 'AGENT.md');
    assert.equal(diagnostics[2].owner_surface, 'task runtime');
  });

  test('soul validate: a dry run of a body, 422 with the evaluated soul when invalid', async () => {
    const ok = await t.api.post('/api/agent/soul/validate', {
      token: session.token,
      body: { body: '---\nrole: helper\n---\nHi.' },
    });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.valid, true);
    const again = await t.api.post('/api/agent/soul/validate', {
      token: session.token,
      body: { body: '---\nrole: helper\n---\nHi.\n\n' },
    });
    assert.equal(again.body.digest, ok.body.digest, 'trailing space does not change the digest');
    const other = await t.api.post('/api/agent/soul/validate', {
      token: session.token,
      body: { body: 'Hello.' },
    });
    assert.notEqual(other.body.digest, ok.body.digest);
    const bad = await t.api.post('/api/agent/soul/validate', {
      token: session.token,
      body: { body: '---\nprovider: x\n---\nHi' },
    });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.valid, false);
    assert.equal(bad.body.validation_status, 'invalid');
    assert.equal(bad.body.diagnostics[0].code, 'forbidden_field');
    const unterminated = await t.api.post('/api/agent/soul/validate', {
      token: session.token,
      body: { body: '---\nrole: x\n' },
    });
    assert.equal(unterminated.body.diagnostics[0].code, 'malformed_frontmatter');
    const oversized = await t.api.post('/api/agent/soul/validate', {
      token: session.token,
      body: { body: 'x'.repeat(40_000) },
    });
    assert.equal(oversized.body.diagnostics[0].code, 'oversized_body');
    const stored = await t.api.post('/api/agent/soul/validate', { token: session.token });
    assert.equal(stored.status, 422, 'with no body the stored (invalid) soul is validated');
    const noAgent = await t.api.post('/api/agent/soul/validate', {
      token: session.token,
      body: { agent_name: 'ghost' },
    });
    assert.equal(noAgent.status, 404);
  });

  test('when the workspace directory goes, me still answers and the soul is 410 Gone', async () => {
    const gone = realpathSync(scratchDir());
    const wsId = (await t.api.post('/api/workspaces', { body: { root_dir: gone, name: 'doomed' } })).body
      .workspace.id;
    putAgent(gone, 'worker', { provider: 'process', command: fixtureCommand(FAKE_PROCESS_AGENT) });
    const id = (await t.api.post('/api/sessions', { body: { agent_name: 'worker', workspace: wsId } })).body
      .session.id;
    const { rmSync } = await import('node:fs');
    rmSync(gone, { recursive: true, force: true });
    const me = await t.api.get('/api/agent/me', as(id));
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.me.workspace.root_dir, gone);
    const soul = await t.api.get('/api/agent/soul', as(id));
    assert.equal(soul.status, 410);
    assert.equal(soul.body.diagnostic.code, 'workspace_path_missing');
    await t.api.post(`/api/sessions/${id}/stop`);
  });

  test('a stopped session has no identity any more', async () => {
    const stopped = await t.api.post(`/api/sessions/${session.id}/stop`);
    assert.equal(stopped.body.session.state, 'stopped');
    const byToken = await t.api.get('/api/agent/me', { token: session.token });
    assert.equal(byToken.status, 401);
    assert.equal(byToken.body.diagnostic.code, 'identity_stale');
    const byHeaders = await t.api.get('/api/agent/me', as(session.id));
    assert.equal(byHeaders.status, 401);
    assert.match(byHeaders.body.error, /not active/);
  });
});

describe('spawning child sessions', () => {
  let t: TestApp;
  let root: string;
  let ws: string;
  before(async () => {
    t = await startTestApp();
    root = realpathSync(scratchDir());
    ws = (await t.api.post('/api/workspaces', { body: { root_dir: root, name: 'family' } })).body.workspace
      .id;
    putFakeAcpAgent(root, 'lead', [], { extra: 'tools: [read, grep]' });
    putFakeAcpAgent(root, 'helper');
  });
  after(async () => t.close());

  const empty = {
    tools: [],
    skills: [],
    mcp_servers: [],
    workspace_paths: [],
    network_channels: [],
    sandbox_profiles: [],
  };
  async function parent() {
    const res = await t.api.post('/api/sessions', { body: { agent_name: 'lead', workspace: ws } });
    assert.equal(res.status, 201, res.text);
    return res.body.session.id as string;
  }
  const asLead = (id: string) => ({ 'x-agh-session-id': id, 'x-agh-agent': 'lead' });
  const spawn = (id: string, body: Record<string, unknown>, agent = 'lead') =>
    t.api.post('/api/agent/spawn', { headers: { 'x-agh-session-id': id, 'x-agh-agent': agent }, body });

  test('a child gets a subset of its parent permissions, its lineage, and stops with its parent', async () => {
    const lead = await parent();
    const res = await spawn(lead, {
      agent_name: 'helper',
      ttl_seconds: 600,
      spawn_role: 'reviewer',
      auto_stop_on_parent: true,
      permissions: { ...empty, tools: ['read'], workspace_paths: [root] },
    });
    assert.equal(res.status, 201, res.text);
    const child = res.body.spawn.session;
    assert.equal(child.type, 'spawned');
    assert.equal(child.state, 'active');
    assert.equal(child.workspace_id, ws);
    assert.deepEqual(res.body.spawn.permissions, { ...empty, tools: ['read'], workspace_paths: [root] });
    assert.equal(res.body.spawn.lineage.parent_session_id, lead);
    assert.equal(res.body.spawn.lineage.root_session_id, lead);
    assert.equal(res.body.spawn.lineage.spawn_depth, 1);
    assert.equal(res.body.spawn.lineage.spawn_role, 'reviewer');
    assert.equal(
      res.body.spawn.lineage.ttl_expires_at,
      new Date(t.clock.now().getTime() + 600_000).toISOString(),
    );
    const shown = (await t.api.get(`/api/sessions/${child.id}`)).body.session;
    assert.equal(shown.lineage.parent_session_id, lead);
    const lead_ = (await t.api.get(`/api/sessions/${lead}`)).body.session;
    assert.equal(lead_.lineage.root_session_id, lead);
    assert.deepEqual(lead_.lineage.permission_policy.tools, ['read', 'grep']);

    const keeper = await spawn(lead, {
      agent_name: 'helper',
      ttl_seconds: 600,
      auto_stop_on_parent: false,
      spawn_role: 'worker',
      permissions: empty,
    });
    assert.equal(keeper.status, 201, keeper.text);
    await t.api.post(`/api/sessions/${lead}/stop`);
    await eventually(
      async () => (await t.api.get(`/api/sessions/${child.id}`)).body.session.state === 'stopped',
      'the child to stop with its parent',
    );
    const stoppedChild = (await t.api.get(`/api/sessions/${child.id}`)).body.session;
    assert.equal(stoppedChild.stop_detail, 'spawn_reaper:parent_stopped');
    assert.equal(
      (await t.api.get(`/api/sessions/${keeper.body.spawn.session.id}`)).body.session.state,
      'active',
    );
    await t.api.post(`/api/sessions/${keeper.body.spawn.session.id}/stop`);
  });

  test('a child can never gain a permission its parent lacks', async () => {
    const lead = await parent();
    for (const permissions of [
      { ...empty, tools: ['write'] },
      { ...empty, workspace_paths: ['/'] },
      { ...empty, mcp_servers: ['github'] },
      { ...empty, tools: ['read', ' '] },
    ]) {
      const res = await spawn(lead, {
        agent_name: 'helper',
        ttl_seconds: 60,
        spawn_role: 'worker',
        auto_stop_on_parent: true,
        permissions,
      });
      assert.equal(res.status, 403, JSON.stringify(permissions));
      assert.equal(res.body.diagnostic.code, 'spawn_permission_denied');
    }
    await t.api.post(`/api/sessions/${lead}/stop`);
  });

  test('budgets: depth and number of children are bounded (409); bad requests are 422', async () => {
    const lead = await parent();
    const child = await spawn(lead, {
      agent_name: 'helper',
      ttl_seconds: 60,
      spawn_role: 'worker',
      auto_stop_on_parent: true,
      permissions: empty,
    });
    const grandchild = await spawn(
      child.body.spawn.session.id,
      {
        agent_name: 'helper',
        ttl_seconds: 60,
        spawn_role: 'worker',
        auto_stop_on_parent: true,
        permissions: empty,
      },
      'helper',
    );
    assert.equal(grandchild.status, 409);
    assert.equal(grandchild.body.diagnostic.code, 'spawn_limit');
    for (let i = 0; i < 4; i++) {
      const more = await spawn(lead, {
        agent_name: 'helper',
        ttl_seconds: 60,
        spawn_role: 'worker',
        auto_stop_on_parent: true,
        permissions: empty,
      });
      assert.equal(more.status, 201, more.text);
    }
    const sixth = await spawn(lead, {
      agent_name: 'helper',
      ttl_seconds: 60,
      spawn_role: 'worker',
      auto_stop_on_parent: true,
      permissions: empty,
    });
    assert.equal(sixth.status, 409);
    assert.match(sixth.body.error, /5 live children already/);
    for (const [body, pattern] of [
      [
        {
          agent_name: 'helper',
          ttl_seconds: 0,
          spawn_role: 'worker',
          auto_stop_on_parent: true,
          permissions: empty,
        },
        /ttl_seconds/,
      ],
      [
        {
          agent_name: 'helper',
          ttl_seconds: 5,
          spawn_role: 'Coordinator',
          auto_stop_on_parent: true,
          permissions: empty,
        },
        /coordinator/,
      ],
      [
        {
          agent_name: '',
          ttl_seconds: 5,
          spawn_role: 'worker',
          auto_stop_on_parent: true,
          permissions: empty,
        },
        /agent_name/,
      ],
      [{ agent_name: 'helper', ttl_seconds: 5, colour: 'red' }, /unknown field "colour"/],
    ] as const) {
      const res = await spawn(lead, body);
      assert.equal(res.status, 422, JSON.stringify(body));
      assert.match(res.body.error, pattern);
    }
    await t.api.post(`/api/sessions/${lead}/stop`);
  });

  test("a child's permission mode is never wider than its parent's", async () => {
    putFakeAcpAgent(root, 'careful', [], { permissions: 'read_only' });
    putAgent(root, 'script', { provider: 'process', command: fixtureCommand(FAKE_PROCESS_AGENT) });
    const careful = (await t.api.post('/api/sessions', { body: { agent_name: 'careful', workspace: ws } }))
      .body.session.id;
    const res = await spawn(
      careful,
      {
        agent_name: 'helper',
        ttl_seconds: 60,
        spawn_role: 'worker',
        auto_stop_on_parent: true,
        permissions: { ...empty, workspace_paths: [root] },
      },
      'careful',
    );
    assert.equal(res.status, 201, res.text);
    const child = res.body.spawn.session.id;
    const asked = await t.api.post(`/api/sessions/${child}/prompt`, {
      body: { text: 'permission edit', wait: true },
    });
    assert.equal(asked.body.turn.text, 'permission: no', 'the approve_all child is held to read_only');
    const wrote = await t.api.post(`/api/sessions/${child}/prompt`, {
      body: { text: `write ${join(root, 'x.txt')} data`, wait: true },
    });
    assert.match(wrote.body.turn.text, /permission mode is read_only/);
    const script = await spawn(
      careful,
      {
        agent_name: 'script',
        ttl_seconds: 60,
        spawn_role: 'worker',
        auto_stop_on_parent: true,
        permissions: empty,
      },
      'careful',
    );
    assert.equal(script.status, 403);
    assert.match(script.body.error, /cannot be held to the "read_only" permission mode/);
    await t.api.post(`/api/sessions/${careful}/stop`);
  });

  test('the reaper stops children whose TTL has passed', async () => {
    const lead = await parent();
    const res = await spawn(lead, {
      agent_name: 'helper',
      ttl_seconds: 30,
      spawn_role: 'worker',
      auto_stop_on_parent: true,
      permissions: empty,
    });
    const child = res.body.spawn.session.id;
    assert.deepEqual(await t.services.spawn.reap(), []);
    t.clock.advance(29_000);
    assert.deepEqual(await t.services.spawn.reap(), []);
    t.clock.advance(1_000);
    assert.deepEqual(await t.services.spawn.reap(), [child]);
    const stopped = (await t.api.get(`/api/sessions/${child}`)).body.session;
    assert.equal(stopped.state, 'stopped');
    assert.equal(stopped.stop_reason, 'timeout');
    assert.equal(stopped.stop_detail, 'spawn_reaper:ttl_expired');
    assert.equal((await t.api.get(`/api/sessions/${lead}`)).body.session.state, 'active');
    assert.ok(asLead(lead));
    await t.api.post(`/api/sessions/${lead}/stop`);
  });

  test('budgets come from config.toml: deeper families, and a cap on live sessions per workspace', async () => {
    const app = await startTestApp({
      config: { sessions: { spawn_max_depth: 2, spawn_max_active_per_workspace: 3 } },
    });
    try {
      const dir = realpathSync(scratchDir());
      putFakeAcpAgent(dir, 'lead');
      putFakeAcpAgent(dir, 'helper');
      const spawnIn = (id: string, agent: string) =>
        app.api.post('/api/agent/spawn', {
          headers: { 'x-agh-session-id': id, 'x-agh-agent': agent },
          body: {
            agent_name: 'helper',
            ttl_seconds: 60,
            spawn_role: 'worker',
            auto_stop_on_parent: true,
            permissions: empty,
          },
        });
      const lead = (
        await app.api.post('/api/sessions', { body: { agent_name: 'lead', workspace_path: dir } })
      ).body.session;
      assert.deepEqual(lead.lineage.spawn_budget, {
        max_children: 5,
        max_depth: 2,
        ttl_seconds: 0,
        max_active_per_workspace: 3,
      });
      const child = await spawnIn(lead.id, 'lead');
      assert.equal(child.status, 201, child.text);
      const grandchild = await spawnIn(child.body.spawn.session.id, 'helper');
      assert.equal(grandchild.status, 201, grandchild.text);
      assert.equal(grandchild.body.spawn.lineage.spawn_depth, 2);
      assert.equal(grandchild.body.spawn.lineage.root_session_id, lead.id);
      const fourth = await spawnIn(lead.id, 'lead');
      assert.equal(fourth.status, 409);
      assert.match(fourth.body.error, /3 live sessions of this family in the workspace, the cap is 3/);
    } finally {
      await app.close();
    }
  });
});
