// GET, PATCH and DELETE /api/workspaces/{id}, on both dialects.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { beforeEach, test } from 'node:test';
import { scratchDir, type TestApp } from '../helpers/app.ts';
import { forEachDialect, freshAppPerTest } from '../helpers/dialects.ts';

forEachDialect('managing workspaces', (ctx) => {
  const app = freshAppPerTest(ctx);
  let t: TestApp;
  beforeEach(() => {
    t = app.get();
  });

  async function register(body: Record<string, unknown> = {}) {
    const root = scratchDir();
    const res = await t.api.post('/api/workspaces', { body: { root_dir: root, ...body } });
    assert.equal(res.status, 201, res.text);
    return { root, workspace: res.body.workspace };
  }

  test('GET finds a workspace by id, name, stable id, root path and a path inside it', async () => {
    const { root, workspace } = await register({ name: 'finder' });
    mkdirSync(join(root, 'src', 'deep'), { recursive: true });
    const stable = /workspace_id = "(\w+)"/.exec(
      readFileSync(join(root, '.agh', 'workspace.toml'), 'utf8'),
    )?.[1];
    assert.ok(stable);
    const link = join(scratchDir(), 'alias');
    symlinkSync(root, link);
    const refs = [
      workspace.id,
      'finder',
      stable,
      stable.toLowerCase(),
      encodeURIComponent(root),
      encodeURIComponent(link),
      encodeURIComponent(join(root, 'src', 'deep')),
      encodeURIComponent(join(root, 'src', 'deep', 'main.ts')),
    ];
    writeFileSync(join(root, 'src', 'deep', 'main.ts'), '');
    for (const ref of refs) {
      const res = await t.api.get(`/api/workspaces/${ref}`);
      assert.equal(res.status, 200, ref);
      assert.deepEqual(res.body.workspace, workspace, ref);
    }
    // Changing or removing a workspace takes the root itself, never a file below it.
    const file = encodeURIComponent(join(root, 'src', 'deep', 'main.ts'));
    for (const method of ['PATCH', 'DELETE'] as const) {
      const res = await t.api.request(
        method,
        `/api/workspaces/${file}`,
        method === 'PATCH' ? { body: {} } : {},
      );
      assert.equal(res.status, 400, `${method}: ${res.text}`);
      assert.equal(res.body.diagnostic.code, 'workspace_path_not_directory');
    }
  });

  test('a long percent-encoded path works as a reference; malformed encodings and absurd lengths are 400', async () => {
    const { root, workspace } = await register({ name: 'long' });
    const deep = join(root, ...Array.from({ length: 12 }, (_, i) => `directory-level-${i}`));
    mkdirSync(deep, { recursive: true });
    const ref = encodeURIComponent(deep);
    assert.ok(ref.length > 200, 'far longer than the router default of 100 characters');
    const found = await t.api.get(`/api/workspaces/${ref}`);
    assert.equal(found.status, 200);
    assert.equal(found.body.workspace.id, workspace.id);
    for (const bad of ['%zz', '%E0%A4%A']) {
      const res = await t.api.get(`/api/workspaces/${bad}`);
      assert.equal(res.status, 400, bad);
      assert.equal(res.body.diagnostic.code, 'invalid_request');
    }
    const absurd = await t.api.get(`/api/workspaces/${'x'.repeat(9000)}`);
    assert.equal(absurd.status, 400);
    assert.match(absurd.body.error, /longer than 8192 characters/);
  });

  test('the deepest registered root wins for a path inside nested workspaces', async () => {
    const { root } = await register({ name: 'outer' });
    const inner = join(root, 'packages', 'inner');
    mkdirSync(inner, { recursive: true });
    await t.api.post('/api/workspaces', { body: { root_dir: inner, name: 'inner' } });
    mkdirSync(join(inner, 'lib'));
    const res = await t.api.get(`/api/workspaces/${encodeURIComponent(join(inner, 'lib'))}`);
    assert.equal(res.body.workspace.name, 'inner');
    const outer = await t.api.get(`/api/workspaces/${encodeURIComponent(join(root, 'packages'))}`);
    assert.equal(outer.body.workspace.name, 'outer');
  });

  test('GET of unknown references is 404, of a missing path 410, of unstorable text 400', async () => {
    await register({ name: 'known' });
    for (const ref of ['ws_0000000000000000', 'nobody', '01JABCDEFGHJKMNPQRSTVWXYZ0']) {
      const res = await t.api.get(`/api/workspaces/${ref}`);
      assert.equal(res.status, 404, ref);
      assert.equal(res.body.diagnostic.code, 'workspace_not_found');
      assert.equal(res.body.diagnostic.suggested_command, 'agh workspace list');
    }
    const outside = await t.api.get(`/api/workspaces/${encodeURIComponent(scratchDir())}`);
    assert.equal(outside.status, 404);
    const gone = await t.api.get(`/api/workspaces/${encodeURIComponent('/no/such/place')}`);
    assert.equal(gone.status, 410);
    // PostgreSQL cannot even compare text holding a NUL: the reference is refused before any query.
    for (const ref of ['kn%00own', 'ws_%00', '%00']) {
      for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
        const res = await t.api.request(
          method,
          `/api/workspaces/${ref}`,
          method === 'PATCH' ? { body: {} } : {},
        );
        assert.equal(res.status, 400, `${method} ${ref}: ${res.text}`);
        assert.match(res.body.error, /must not contain a NUL/);
      }
    }
    const rename = await t.api.patch('/api/workspaces/known', { body: { name: 'ws_00000000000000aa' } });
    assert.equal(rename.status, 400);
    assert.match(rename.body.error, /looks like a workspace id/);
  });

  test('GET aggregates agents (workspace, extra dirs, home; first wins), skills and providers', async () => {
    const extra = scratchDir();
    const { root, workspace } = await register({ name: 'agents', add_dirs: [extra] });
    const { put } = await import('../helpers/fs.ts');
    put(
      join(root, '.agh/agents/coder/AGENT.md'),
      '---\nprovider: codex\nmodel: gpt-5\ntools: [read, write]\nmcp_servers:\n  - name: git\n    command: mcp-git\n    args: [--repo, .]\n---\nYou write code.\n',
    );
    put(join(root, '.agh/agents/plain/AGENT.md'), 'No front matter: the whole file is the prompt.\n');
    put(join(root, '.agh/agents/broken/AGENT.md'), '---\ntools: [unclosed\n---\nbody\n');
    put(
      join(root, '.agh/agents/typo/AGENT.md'),
      '---\nprovider: claud\ntools: read\nname: other\n---\nbody\n',
    );
    put(join(root, '.agh/agents/empty-dir/README.md'), 'no AGENT.md here');
    put(join(extra, '.agh/agents/coder/AGENT.md'), '---\nprovider: gemini\n---\nshadowed by the workspace\n');
    put(join(extra, '.agh/agents/helper/AGENT.md'), '---\nprovider: gemini\n---\nfrom the extra dir\n');
    put(join(t.home, 'agents/helper/AGENT.md'), '---\nprovider: claude\n---\nshadowed by the extra dir\n');
    put(
      join(t.home, 'agents/global/AGENT.md'),
      '---\ndeny_tools: [shell]\npermissions: read_only\n---\nfrom home\n',
    );
    put(join(root, '.agh/skills/review/SKILL.md'), '# review');
    put(join(extra, '.agh/skills/lint/SKILL.md'), '# lint');
    put(join(t.home, 'skills/review/SKILL.md'), '# shadowed');
    put(join(t.home, 'skills/deploy/SKILL.md'), '# deploy');
    mkdirSync(join(t.home, 'skills/no-skill-file'), { recursive: true });

    const res = await t.api.get(`/api/workspaces/${workspace.id}`);
    assert.equal(res.status, 200);
    const agents = Object.fromEntries(res.body.agents.map((a: { name: string }) => [a.name, a]));
    // The built-in general agent is always there unless a definition on disk takes its name.
    assert.deepEqual(Object.keys(agents), [
      'broken',
      'coder',
      'general',
      'global',
      'helper',
      'plain',
      'typo',
    ]);
    assert.equal(agents.general.provider, 'claude');
    assert.deepEqual(agents.coder, {
      name: 'coder',
      provider: 'codex',
      model: 'gpt-5',
      tools: ['read', 'write'],
      mcp_servers: [{ name: 'git', command: 'mcp-git', args: ['--repo', '.'] }],
      prompt: 'You write code.',
    });
    assert.equal(agents.plain.prompt, 'No front matter: the whole file is the prompt.');
    assert.equal(agents.plain.provider, 'claude');
    assert.equal(agents.helper.prompt, 'from the extra dir');
    assert.deepEqual(agents.global.deny_tools, ['shell']);
    assert.equal(agents.global.permissions, 'read_only');
    assert.equal(agents.broken.diagnostics[0].error_kind, 'malformed_frontmatter');
    assert.equal(agents.broken.diagnostics[0].path, join(realpathSync(root), '.agh/agents/broken/AGENT.md'));
    const typoKinds = agents.typo.diagnostics.map((d: { error_kind: string }) => d.error_kind).sort();
    assert.deepEqual(typoKinds, ['invalid_field', 'name_mismatch', 'unknown_provider']);

    assert.deepEqual(res.body.skills, [
      { name: 'deploy', dir: join(t.home, 'skills/deploy'), source: 'global' },
      { name: 'lint', dir: join(realpathSync(extra), '.agh/skills/lint'), source: 'additional' },
      { name: 'review', dir: join(realpathSync(root), '.agh/skills/review'), source: 'workspace' },
    ]);
    assert.deepEqual(
      res.body.providers.map((p: { name: string }) => p.name),
      ['claude', 'codex', 'gemini', 'process'],
    );
    assert.deepEqual(res.body.sessions, []);
  });

  test('inside a workspace discovery follows no link and never blocks on a special file', async () => {
    const { put } = await import('../helpers/fs.ts');
    const { root, workspace } = await register();
    const secrets = scratchDir();
    put(join(secrets, 'passwd'), 'root:x:0:0:secret\n');
    put(join(secrets, 'agent/AGENT.md'), 'a prompt from outside the workspace\n');
    put(join(secrets, 'skill/SKILL.md'), '# outside');
    mkdirSync(join(root, '.agh/agents/linked-file'), { recursive: true });
    symlinkSync(join(secrets, 'passwd'), join(root, '.agh/agents/linked-file/AGENT.md'));
    symlinkSync(join(secrets, 'agent'), join(root, '.agh/agents/linked-dir'));
    mkdirSync(join(root, '.agh/agents/fifo'));
    assert.equal(spawnSync('mkfifo', [join(root, '.agh/agents/fifo/AGENT.md')]).status, 0);
    mkdirSync(join(root, '.agh/skills/fifo'), { recursive: true });
    assert.equal(spawnSync('mkfifo', [join(root, '.agh/skills/fifo/SKILL.md')]).status, 0);
    symlinkSync(join(secrets, 'skill'), join(root, '.agh/skills/linked'));
    // Links to a file or to nothing could never have been definitions: not listed at all.
    symlinkSync(join(secrets, 'passwd'), join(root, '.agh/agents/notes.md'));
    symlinkSync(join(secrets, 'nothing-here'), join(root, '.agh/agents/dangling'));
    // The operator's own home may link wherever it likes.
    mkdirSync(join(t.home, 'agents'), { recursive: true });
    symlinkSync(join(secrets, 'agent'), join(t.home, 'agents/from-home'));
    // A workspace whose whole agents directory is a link yields nothing from it.
    const extra = scratchDir();
    mkdirSync(join(extra, '.agh'));
    symlinkSync(join(secrets), join(extra, '.agh/agents'));
    const patched = await t.api.patch(`/api/workspaces/${workspace.id}`, { body: { add_dirs: [extra] } });
    assert.equal(patched.status, 200);

    const res = await t.api.get(`/api/workspaces/${workspace.id}`);
    assert.equal(res.status, 200);
    assert.doesNotMatch(res.text, /secret/);
    const agents = Object.fromEntries(res.body.agents.map((a: { name: string }) => [a.name, a]));
    assert.deepEqual(Object.keys(agents), ['fifo', 'from-home', 'general', 'linked-dir', 'linked-file']);
    assert.equal(agents['linked-file'].diagnostics[0].error_kind, 'symlink');
    assert.equal(agents['linked-dir'].diagnostics[0].error_kind, 'symlink');
    assert.equal(agents['linked-dir'].prompt, '');
    assert.equal(agents.fifo.diagnostics[0].error_kind, 'not_regular_file');
    assert.equal(agents['from-home'].prompt, 'a prompt from outside the workspace');
    assert.deepEqual(res.body.skills, []);
  });

  test('PATCH changes what is given and keeps what is null or absent', async () => {
    const extra = scratchDir();
    const { workspace } = await register({ name: 'before', default_agent: 'a', sandbox_ref: 'local' });
    t.clock.advance(60_000);
    const renamed = await t.api.patch(`/api/workspaces/${workspace.id}`, {
      body: { name: 'after', add_dirs: [extra], default_agent: null, sandbox_ref: null },
    });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.workspace.name, 'after');
    assert.deepEqual(renamed.body.workspace.add_dirs, [realpathSync(extra)]);
    assert.equal(renamed.body.workspace.default_agent, 'a');
    assert.equal(renamed.body.workspace.sandbox_ref, 'local');
    assert.equal(renamed.body.workspace.created_at, workspace.created_at);
    assert.equal(renamed.body.workspace.updated_at, '2026-03-01T12:01:00.000Z');

    const partial = await t.api.patch('/api/workspaces/after', { body: { default_agent: 'b' } });
    assert.equal(partial.status, 200);
    assert.equal(partial.body.workspace.name, 'after');
    assert.equal(partial.body.workspace.default_agent, 'b');

    const cleared = await t.api.patch('/api/workspaces/after', {
      body: { name: null, add_dirs: [], default_agent: '', sandbox_ref: '' },
    });
    assert.equal(cleared.status, 200);
    assert.deepEqual(cleared.body.workspace.add_dirs, []);
    assert.equal(cleared.body.workspace.default_agent, undefined);
    assert.equal(cleared.body.workspace.sandbox_ref, undefined);
    const got = await t.api.get(`/api/workspaces/${workspace.id}`);
    assert.deepEqual(got.body.workspace, cleared.body.workspace);
  });

  test('PATCH rejects a taken name (409), bad values (400/410) and unknown ids (404) and changes nothing', async () => {
    await register({ name: 'taken' });
    const { workspace } = await register({ name: 'mine' });
    const url = `/api/workspaces/${workspace.id}`;
    const cases: [unknown, number, string][] = [
      [{ name: 'taken' }, 409, 'workspace_name_taken'],
      [{ name: '' }, 400, 'invalid_request'],
      [{ name: 'a/b' }, 400, 'invalid_request'],
      [{ add_dirs: ['relative'] }, 400, 'workspace_path_invalid'],
      [{ add_dirs: ['/no/such/dir'] }, 410, 'workspace_path_missing'],
      [{ name: 5 }, 400, 'invalid_request'],
      [{ nmae: 'typo' }, 400, 'invalid_request'],
    ];
    for (const [body, status, code] of cases) {
      const res = await t.api.patch(url, { body });
      assert.equal(res.status, status, JSON.stringify(body));
      assert.equal(res.body.diagnostic.code, code, JSON.stringify(body));
    }
    const same = await t.api.patch(url, { body: { name: 'mine' } });
    assert.equal(same.status, 200, 'keeping its own name is no clash');
    const missing = await t.api.patch('/api/workspaces/ws_0000000000000000', { body: { name: 'x' } });
    assert.equal(missing.status, 404);
    const after = await t.api.get(url);
    assert.equal(after.body.workspace.name, 'mine');
    assert.deepEqual(after.body.workspace.add_dirs, []);
  });

  test('DELETE unregisters (by id, name or path), leaves the files alone, and is 404 afterwards', async () => {
    const { root, workspace } = await register({ name: 'doomed' });
    // Clients often label an empty DELETE as JSON; that is no body, not bad JSON.
    const res = await t.api.delete(`/api/workspaces/${workspace.id}`, {
      raw: '',
      contentType: 'application/json',
    });
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    assert.equal((await t.api.get(`/api/workspaces/${workspace.id}`)).status, 404);
    assert.equal((await t.api.delete(`/api/workspaces/${workspace.id}`)).status, 404);
    assert.ok(existsSync(join(root, '.agh', 'workspace.toml')), 'the identity file stays');

    const again = await t.api.post('/api/workspaces', { body: { root_dir: root } });
    assert.equal(again.status, 201, 'the directory can be registered again');
    assert.equal((await t.api.delete(`/api/workspaces/${again.body.workspace.name}`)).status, 204);
    const third = await t.api.post('/api/workspaces', { body: { root_dir: root } });
    assert.equal((await t.api.delete(`/api/workspaces/${encodeURIComponent(root)}`)).status, 204);
    assert.equal((await t.api.get(`/api/workspaces/${third.body.workspace.id}`)).status, 404);
    const list = await t.api.get('/api/workspaces');
    assert.deepEqual(list.body.workspaces, []);
  });

  test('a workspace whose root was deleted is 410 to GET and PATCH, and can still be unregistered', async () => {
    const { root, workspace } = await register({ name: 'doomed' });
    rmSync(root, { recursive: true });
    for (const res of [
      await t.api.get(`/api/workspaces/${workspace.id}`),
      await t.api.get('/api/workspaces/doomed'),
      await t.api.patch(`/api/workspaces/${workspace.id}`, { body: { name: 'renamed' } }),
    ]) {
      assert.equal(res.status, 410, res.text);
      assert.equal(res.body.diagnostic.code, 'workspace_path_missing');
      assert.match(res.body.error, /no longer exists/);
      assert.equal(res.body.diagnostic.suggested_command, `agh workspace rm ${workspace.id}`);
    }
    const byPath = await t.api.get(`/api/workspaces/${encodeURIComponent(root)}`);
    assert.equal(byPath.status, 410, 'its recorded path still names it');
    assert.equal(byPath.body.diagnostic.suggested_command, `agh workspace rm ${workspace.id}`);
    const listed = await t.api.get('/api/workspaces');
    assert.equal(listed.body.workspaces[0].name, 'doomed', 'PATCH changed nothing; the list still shows it');
    // Even with a file where the directory was, the recorded path unregisters it.
    writeFileSync(root, 'not a directory any more');
    assert.equal((await t.api.delete(`/api/workspaces/${encodeURIComponent(`${root}/`)}`)).status, 204);
    assert.deepEqual((await t.api.get('/api/workspaces')).body.workspaces, []);
  });

  test('a path with .. after a symlink means what the kernel says, not what the text says', async () => {
    const base = realpathSync(scratchDir());
    mkdirSync(join(base, 'a'));
    mkdirSync(join(base, 'real', 'a'), { recursive: true });
    mkdirSync(join(base, 'real', 'sub'));
    symlinkSync(join(base, 'real', 'sub'), join(base, 'link'));
    const textual = (
      await t.api.post('/api/workspaces', { body: { root_dir: join(base, 'a'), name: 'textual' } })
    ).body.workspace;
    const real = (
      await t.api.post('/api/workspaces', { body: { root_dir: join(base, 'real', 'a'), name: 'real' } })
    ).body.workspace;
    const ref = encodeURIComponent(`${base}/link/../a`);
    assert.equal((await t.api.get(`/api/workspaces/${ref}`)).body.workspace.id, real.id);
    assert.equal((await t.api.delete(`/api/workspaces/${ref}`)).status, 204);
    const left = (await t.api.get('/api/workspaces')).body.workspaces.map((w: { id: string }) => w.id);
    assert.deepEqual(left, [textual.id]);
  });

  test('DELETE by a path below the root does not remove the enclosing workspace', async () => {
    const { root } = await register({ name: 'parent' });
    mkdirSync(join(root, 'child'));
    const res = await t.api.delete(`/api/workspaces/${encodeURIComponent(join(root, 'child'))}`);
    assert.equal(res.status, 404);
    assert.equal((await t.api.get('/api/workspaces/parent')).status, 200);
  });

  test('list is ordered by name, in the same code-unit order on every database', async () => {
    for (const name of ['charlie', 'alpha', 'Bravo', 'bravo', '_under', 'Zulu', 'é-accent', '10', '9']) {
      await register({ name });
    }
    const res = await t.api.get('/api/workspaces');
    assert.deepEqual(
      res.body.workspaces.map((w: { name: string }) => w.name),
      ['10', '9', 'Bravo', 'Zulu', '_under', 'alpha', 'bravo', 'charlie', 'é-accent'],
    );
  });
});
