// POST /api/workspaces and POST /api/workspaces/resolve, on both dialects.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { beforeEach, test } from 'node:test';
import { WorkspaceStore } from '../../src/workspaces/store.ts';
import { scratchDir, type TestApp } from '../helpers/app.ts';
import { forEachDialect, freshAppPerTest } from '../helpers/dialects.ts';

forEachDialect('registering workspaces', (ctx) => {
  const app = freshAppPerTest(ctx);
  let t: TestApp;
  beforeEach(() => {
    t = app.get();
  });

  const listNames = async () =>
    (await t.api.get('/api/workspaces')).body.workspaces.map((w: { name: string }) => w.name);

  /** Both ways of registering `dir` are refused with 400 `code` and a message matching `message`. */
  async function bothRegistrationsRefused(dir: string, code: string, message: RegExp): Promise<void> {
    for (const [url, body] of [
      ['/api/workspaces', { root_dir: dir }],
      ['/api/workspaces/resolve', { path: dir }],
    ] as const) {
      const res = await t.api.post(url, { body });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.diagnostic.code, code);
      assert.match(res.body.error, message);
    }
  }

  test('an empty daemon lists no workspaces', async () => {
    const res = await t.api.get('/api/workspaces');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { workspaces: [] });
  });

  test('registering a directory derives the name, writes the identity file and lists it', async () => {
    const root = scratchDir();
    const res = await t.api.post('/api/workspaces', { body: { root_dir: root } });
    assert.equal(res.status, 201);
    const w = res.body.workspace;
    assert.match(w.id, /^ws_[0-9a-f]{16}$/);
    assert.equal(w.name, basename(root));
    assert.equal(w.root_dir, realpathSync(root));
    assert.deepEqual(w.add_dirs, []);
    assert.equal(w.created_at, '2026-03-01T12:00:00.000Z');
    assert.equal(w.default_agent, undefined);
    const identity = readFileSync(join(root, '.agh', 'workspace.toml'), 'utf8');
    assert.match(identity, /workspace_id = "[0-9A-HJKMNP-TV-Z]{26}"/);
    assert.match(identity, new RegExp(`realpath_at_creation = "${realpathSync(root)}"`));
    const list = await t.api.get('/api/workspaces');
    assert.deepEqual(list.body.workspaces, [w]);
  });

  test('all optional fields are stored; add_dirs are canonical, de-duplicated and never the root', async () => {
    const root = scratchDir();
    const extra = scratchDir();
    const link = join(scratchDir(), 'link-to-extra');
    symlinkSync(extra, link);
    const res = await t.api.post('/api/workspaces', {
      body: {
        root_dir: root,
        name: 'my project',
        add_dirs: [extra, link, `${extra}/../${basename(extra)}`, root],
        default_agent: 'coder',
        sandbox_ref: 'local',
      },
    });
    assert.equal(res.status, 201);
    assert.equal(res.body.workspace.name, 'my project');
    assert.deepEqual(res.body.workspace.add_dirs, [realpathSync(extra)]);
    assert.equal(res.body.workspace.default_agent, 'coder');
    assert.equal(res.body.workspace.sandbox_ref, 'local');
  });

  test('a symlinked root is registered as its target, and the same directory cannot be registered twice', async () => {
    const root = scratchDir();
    const link = join(scratchDir(), 'alias');
    symlinkSync(root, link);
    const first = await t.api.post('/api/workspaces', { body: { root_dir: link } });
    assert.equal(first.status, 201);
    assert.equal(first.body.workspace.root_dir, realpathSync(root));
    for (const again of [root, link, `${root}/.`, `${root}/`]) {
      const res = await t.api.post('/api/workspaces', { body: { root_dir: again, name: 'other' } });
      assert.equal(res.status, 409, again);
      assert.equal(res.body.diagnostic.code, 'workspace_path_taken');
      assert.match(res.body.error, /already registered/);
    }
    assert.equal((await listNames()).length, 1);
  });

  test('the same directory reached through a bind mount is recognised by its inode', async (ctx) => {
    const root = scratchDir();
    const mountPoint = scratchDir();
    const mounted = spawnSync('mount', ['--bind', root, mountPoint], { encoding: 'utf8' });
    if (mounted.status !== 0) {
      ctx.skip(`bind mounts are not available here: ${mounted.stderr.trim() || mounted.error?.message}`);
      return;
    }
    try {
      const first = await t.api.post('/api/workspaces', { body: { root_dir: root } });
      assert.equal(first.status, 201);
      const again = await t.api.post('/api/workspaces', { body: { root_dir: mountPoint, name: 'other' } });
      assert.equal(again.status, 409);
      assert.equal(again.body.diagnostic.code, 'workspace_path_taken');
      const resolved = await t.api.post('/api/workspaces/resolve', { body: { path: mountPoint } });
      assert.equal(resolved.body.workspace.id, first.body.workspace.id);
    } finally {
      spawnSync('umount', [mountPoint]);
    }
  });

  test('a stale recorded inode (its root is gone) does not block another directory', async () => {
    const root = scratchDir();
    const info = statSync(root, { bigint: true });
    await new WorkspaceStore(t.store.db).insert({
      id: 'ws_00000000000000aa',
      stable_id: '01JABCDEFGHJKMNPQRSTVWXYZ0',
      name: 'ghost',
      root_dir: '/gone/since/long',
      root_dev: String(info.dev),
      root_ino: String(info.ino),
      add_dirs: [],
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
    });
    const res = await t.api.post('/api/workspaces', { body: { root_dir: root } });
    assert.equal(res.status, 201, res.text);
  });

  test('derived names are made unique with -2, -3', async () => {
    const names = [];
    for (let i = 0; i < 3; i++) {
      const dir = join(scratchDir(), 'project');
      mkdirSync(dir);
      const res = await t.api.post('/api/workspaces', { body: { root_dir: dir } });
      assert.equal(res.status, 201);
      names.push(res.body.workspace.name);
    }
    assert.deepEqual(names, ['project', 'project-2', 'project-3']);
  });

  test('a directory named like an id or ~ gets a derived name that is not', async () => {
    for (const [base, expected] of [
      ['ws_0123456789abcdef', 'dir-ws_0123456789abcdef'],
      ['ws-frontend', 'ws-frontend'],
      ['01J9ZQ3X5K8W2M4N6P7R9T0V1B', 'dir-01J9ZQ3X5K8W2M4N6P7R9T0V1B'],
      ['~', 'dir-~'],
    ]) {
      const dir = join(scratchDir(), base as string);
      mkdirSync(dir);
      const res = await t.api.post('/api/workspaces/resolve', { body: { path: dir } });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.workspace.name, expected);
      const byName = await t.api.get(`/api/workspaces/${encodeURIComponent(expected as string)}`);
      assert.equal(byName.body.workspace.id, res.body.workspace.id);
    }
  });

  test('an explicit name that is taken is 409 and writes nothing', async () => {
    await t.api.post('/api/workspaces', { body: { root_dir: scratchDir(), name: 'alpha' } });
    const second = scratchDir();
    const res = await t.api.post('/api/workspaces', { body: { root_dir: second, name: 'alpha' } });
    assert.equal(res.status, 409);
    assert.equal(res.body.diagnostic.code, 'workspace_name_taken');
    assert.match(res.body.error, /"alpha" is already in use/);
    assert.equal(existsSync(join(second, '.agh')), false, 'no identity file written for a rejected request');
    assert.deepEqual(await listNames(), ['alpha']);
  });

  test('bad paths: relative 400, missing 410, a file 400, empty 400 — nothing written', async () => {
    const file = join(scratchDir(), 'plain.txt');
    writeFileSync(file, 'x');
    const cases: [unknown, number, RegExp][] = [
      ['relative/dir', 400, /must be an absolute path/],
      ['./here', 400, /must be an absolute path/],
      ['', 400, /must not be empty/],
      ['/definitely/not/there', 410, /does not exist/],
      [`${file}/below`, 410, /does not exist/],
      [file, 400, /is not a directory/],
      ['/tmp/a\u0000b', 400, /NUL/],
    ];
    for (const [root_dir, status, message] of cases) {
      const res = await t.api.post('/api/workspaces', { body: { root_dir } });
      assert.equal(res.status, status, String(root_dir));
      assert.match(res.body.error, message);
    }
    const root = scratchDir();
    for (const add_dirs of [['relative'], ['/nope/nope'], [file]]) {
      const res = await t.api.post('/api/workspaces', { body: { root_dir: root, add_dirs } });
      assert.ok([400, 410].includes(res.status), `${add_dirs}: ${res.status}`);
      assert.match(res.body.error, /add_dirs\[0\]/);
    }
    assert.equal(existsSync(join(root, '.agh')), false);
    assert.deepEqual(await listNames(), []);
  });

  test('a root longer than 2048 bytes is 400 on every database, and nothing is written', async () => {
    let dir = scratchDir();
    while (Buffer.byteLength(dir) <= 2048) dir = join(dir, 'd'.repeat(200));
    mkdirSync(dir, { recursive: true });
    await bothRegistrationsRefused(dir, 'workspace_path_invalid', /at most 2048 bytes/);
    assert.equal(existsSync(join(dir, '.agh')), false);
    assert.deepEqual(await listNames(), []);
  });

  test('wrong types, unknown fields and missing fields are 400 with the field named', async () => {
    const root = scratchDir();
    const cases: [unknown, RegExp][] = [
      [{ root_dir: 5 }, /body\.root_dir/],
      [{}, /body\.root_dir/],
      [{ root_dir: root, rootdir: root }, /unknown field "rootdir"/],
      [{ root_dir: root, add_dirs: 'x' }, /body\.add_dirs/],
      [{ root_dir: root, add_dirs: [1] }, /body\.add_dirs\.0/],
      [{ root_dir: root, name: null }, /body\.name/],
      [[root], /body/],
      ['just a string', /body/],
    ];
    for (const [body, message] of cases) {
      const res = await t.api.post('/api/workspaces', { body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.diagnostic.code, 'invalid_request');
      assert.match(res.body.error, message);
    }
    assert.deepEqual(await listNames(), []);
  });

  test('bad names and field values are 400', async () => {
    const root = scratchDir();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ name: '' }, /name must not be empty/],
      [{ name: 'a/b' }, /slashes/],
      [{ name: ' padded' }, /whitespace/],
      [{ name: 'x'.repeat(129) }, /longer than 128/],
      [{ name: 'tab\there' }, /control characters/],
      [{ name: '..' }, /must not be/],
      [{ name: 'ws_0123456789abcdef' }, /looks like a workspace id/],
      [{ name: 'WS_0123456789ABCDEF' }, /looks like a workspace id/],
      [{ name: '01J9ZQ3X5K8W2M4N6P7R9T0V1B' }, /looks like a workspace id/],
      [{ name: '~' }, /must not be "~"/],
      [{ name: 'bad\ud800name' }, /name is not well-formed Unicode/],
      [{ name: 'nul\u0000' }, /NUL/],
      [{ default_agent: 'agent\udfff' }, /default_agent is not well-formed/],
      [{ sandbox_ref: 'a\u0000b' }, /sandbox_ref must not contain a NUL/],
      [{ root_dir: `${root}/\ud800` }, /root_dir is not well-formed Unicode/],
      [{ add_dirs: [`${root}\udc00`] }, /add_dirs\[0\] is not well-formed Unicode/],
      [{ default_agent: 'x'.repeat(300) }, /default_agent is longer/],
      [{ sandbox_ref: 'line\nbreak' }, /sandbox_ref must not contain control/],
      [{ add_dirs: Array.from({ length: 65 }, () => root) }, /at most 64/],
    ];
    for (const [extra, message] of cases) {
      const res = await t.api.post('/api/workspaces', { body: { root_dir: root, ...extra } });
      assert.equal(res.status, 400, JSON.stringify(extra));
      assert.match(res.body.error, message);
    }
    assert.equal(existsSync(join(root, '.agh')), false);
  });

  test('malformed JSON is 400, a non-JSON body 415, a body over 1 MiB 413 — nothing written', async () => {
    const bad = await t.api.post('/api/workspaces', { raw: '{"root_dir": ' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.diagnostic.code, 'invalid_json');
    const empty = await t.api.post('/api/workspaces', { raw: '', contentType: 'application/json' });
    assert.equal(empty.status, 400);
    assert.match(empty.body.error, /needs a JSON object body/);
    const poisoned = await t.api.post('/api/workspaces', {
      raw: `{"root_dir": "${scratchDir()}", "__proto__": {"admin": true}}`,
    });
    assert.equal(poisoned.status, 400, 'prototype poisoning is refused');
    const text = await t.api.post('/api/workspaces', { raw: 'root_dir=/tmp', contentType: 'text/plain' });
    assert.equal(text.status, 415);
    assert.equal(text.body.diagnostic.code, 'unsupported_media_type');
    const huge = await t.api.post('/api/workspaces', {
      body: { root_dir: scratchDir(), name: 'x'.repeat(1024 * 1024 + 10) },
    });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.diagnostic.code, 'body_too_large');
    const none = await t.api.post('/api/workspaces');
    assert.equal(none.status, 400);
    assert.match(none.body.error, /JSON object body/);
    assert.deepEqual(await listNames(), []);
  });

  test('an existing identity file is reused, so re-registering keeps the stable id', async () => {
    const root = scratchDir();
    const stable = '01JABCDEFGHJKMNPQRSTVWXYZ0';
    mkdirSync(join(root, '.agh'));
    writeFileSync(join(root, '.agh', 'workspace.toml'), `workspace_id = "${stable}"\n`);
    const res = await t.api.post('/api/workspaces', { body: { root_dir: root, name: 'kept' } });
    assert.equal(res.status, 201);
    const byStable = await t.api.get(`/api/workspaces/${stable}`);
    assert.equal(byStable.status, 200);
    assert.equal(byStable.body.workspace.id, res.body.workspace.id);
    assert.equal(readFileSync(join(root, '.agh', 'workspace.toml'), 'utf8'), `workspace_id = "${stable}"\n`);
  });

  test('a malformed identity file is 400 with the path, and nothing is registered', async () => {
    const root = scratchDir();
    mkdirSync(join(root, '.agh'));
    for (const content of ['workspace_id = ', 'workspace_id = "not-a-ulid"\n', 'other = 1\n']) {
      writeFileSync(join(root, '.agh', 'workspace.toml'), content);
      const res = await t.api.post('/api/workspaces', { body: { root_dir: root } });
      assert.equal(res.status, 400, content);
      assert.equal(res.body.diagnostic.code, 'workspace_identity_malformed');
      assert.match(res.body.error, /workspace\.toml is malformed .* delete it/);
    }
    assert.deepEqual(await listNames(), []);
  });

  test('a root whose .agh cannot hold the identity file is 400 and nothing is registered', async () => {
    const root = scratchDir();
    writeFileSync(join(root, '.agh'), 'a file where a directory should be');
    const res = await t.api.post('/api/workspaces', { body: { root_dir: root } });
    assert.equal(res.status, 400);
    assert.equal(res.body.diagnostic.code, 'workspace_identity_unwritable');
    assert.match(res.body.error, /cannot write the workspace identity file/);
    assert.deepEqual(await listNames(), []);
  });

  test('a FIFO or a symlink as the identity file is 400 at once, read through nothing', async () => {
    const outside = scratchDir();
    writeFileSync(join(outside, 'id.toml'), 'workspace_id = "01J00000000000000000000000"\n');
    const fifoRoot = scratchDir();
    mkdirSync(join(fifoRoot, '.agh'));
    assert.equal(spawnSync('mkfifo', [join(fifoRoot, '.agh', 'workspace.toml')]).status, 0);
    const linkRoot = scratchDir();
    mkdirSync(join(linkRoot, '.agh'));
    symlinkSync(join(outside, 'id.toml'), join(linkRoot, '.agh', 'workspace.toml'));
    for (const [root, why] of [
      [fifoRoot, /not a regular file/],
      [linkRoot, /symbolic link/],
    ] as const) {
      const res = await t.api.post('/api/workspaces', { body: { root_dir: root } });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.diagnostic.code, 'workspace_identity_malformed');
      assert.match(res.body.error, why);
    }
    assert.deepEqual(await listNames(), []);
  });

  test('a .agh that is a symbolic link is refused: the identity is never written outside the root', async () => {
    const root = scratchDir();
    const elsewhere = scratchDir();
    symlinkSync(elsewhere, join(root, '.agh'));
    await bothRegistrationsRefused(root, 'workspace_identity_unwritable', /\.agh is a symbolic link/);
    assert.equal(existsSync(join(elsewhere, 'workspace.toml')), false);
    assert.deepEqual(await listNames(), []);
  });

  test('resolve returns the registration of a path, by path or through a symlink', async () => {
    const root = scratchDir();
    const created = (await t.api.post('/api/workspaces', { body: { root_dir: root, name: 'known' } })).body
      .workspace;
    const link = join(scratchDir(), 'alias');
    symlinkSync(root, link);
    for (const path of [root, link, `${root}/`]) {
      const res = await t.api.post('/api/workspaces/resolve', { body: { path } });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.workspace, created);
    }
  });

  test('resolve registers an unknown directory once, even when asked many times at once', async () => {
    const dir = join(scratchDir(), 'fresh');
    mkdirSync(dir);
    const replies = await Promise.all(
      Array.from({ length: 6 }, () => t.api.post('/api/workspaces/resolve', { body: { path: dir } })),
    );
    for (const r of replies) assert.equal(r.status, 200);
    const ids = new Set(replies.map((r) => r.body.workspace.id));
    assert.equal(ids.size, 1);
    assert.deepEqual(await listNames(), ['fresh']);
    assert.ok(existsSync(join(dir, '.agh', 'workspace.toml')));
  });

  test('resolve rejects relative (400) and missing (410) paths and bad bodies (400)', async () => {
    assert.equal((await t.api.post('/api/workspaces/resolve', { body: { path: 'rel' } })).status, 400);
    const gone = await t.api.post('/api/workspaces/resolve', { body: { path: '/no/such/dir' } });
    assert.equal(gone.status, 410);
    assert.equal(gone.body.diagnostic.code, 'workspace_path_missing');
    assert.equal((await t.api.post('/api/workspaces/resolve', { body: {} })).status, 400);
    assert.equal(
      (await t.api.post('/api/workspaces/resolve', { body: { path: '/tmp', extra: 1 } })).status,
      400,
    );
    assert.deepEqual(await listNames(), []);
  });
});
