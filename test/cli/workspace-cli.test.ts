// `agh workspace …` end to end: the real CLI against a real foreground daemon, each in its own
// process, sharing one temporary AGH_HOME.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Api } from '../helpers/api.ts';
import {
  AGH_BIN,
  closedPort,
  type ForegroundDaemon,
  killStarted,
  type RunResult,
  removeTempDirs,
  runAgh,
  startForegroundDaemon,
  tempDir,
  tempHome,
} from '../helpers/daemon-process.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

interface Workspace {
  id: string;
  name: string;
  root_dir: string;
  add_dirs: string[];
}

describe('agh workspace (CLI against a real daemon)', () => {
  let home: string;
  let daemon: ForegroundDaemon;
  let api: Api;

  before(async () => {
    home = tempHome();
    daemon = await startForegroundDaemon(home);
    api = new Api(daemon.url, readFileSync(join(home, 'operator.token'), 'utf8').trim());
  });

  after(async () => {
    try {
      await daemon?.stop();
    } finally {
      killStarted();
      removeTempDirs();
    }
  });

  const agh = (args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) =>
    runAgh(args, { cwd: options.cwd, env: { AGH_HOME: home, AGH_HTTP_PORT: '0', ...options.env } });

  /** Runs agh, expects exit 0, and parses its JSON output. */
  async function aghJson<T = any>(args: string[], options: { cwd?: string } = {}): Promise<T> {
    const res = await agh([...args, '-o', 'json'], options);
    assert.equal(res.code, 0, explain(args, res));
    return JSON.parse(res.stdout) as T;
  }

  /** Registers a fresh directory through the CLI. */
  async function addWorkspace(name: string): Promise<{ dir: string; workspace: Workspace }> {
    const dir = tempDir();
    const { workspace } = await aghJson<{ workspace: Workspace }>(['workspace', 'add', dir, '--name', name]);
    return { dir, workspace };
  }

  const explain = (args: string[], res: RunResult) =>
    `agh ${args.join(' ')} → ${res.code}\nstdout:\n${res.stdout}\nstderr:\n${res.stderr}`;

  test('add <dir> -o json registers the real path', async () => {
    const dir = tempDir();
    const { workspace } = await aghJson<{ workspace: Workspace }>(['workspace', 'add', dir]);
    assert.match(workspace.id, /^ws_/);
    assert.equal(workspace.root_dir, realpathSync(dir));
    assert.equal(workspace.name, basename(realpathSync(dir)));
    assert.deepEqual(workspace.add_dirs, []);

    const listed = await api.get('/api/workspaces');
    assert.ok(
      listed.body.workspaces.some((w: Workspace) => w.id === workspace.id),
      'the daemon has it',
    );
  });

  test('add <relative dir> resolves the path from the working directory', async () => {
    const parent = tempDir();
    mkdirSync(join(parent, 'rel-project'));
    const { workspace } = await aghJson<{ workspace: Workspace }>(['workspace', 'add', 'rel-project'], {
      cwd: parent,
    });
    assert.equal(workspace.root_dir, realpathSync(join(parent, 'rel-project')));
    assert.equal(workspace.name, 'rel-project');
  });

  test('add without -o prints what it registered', async () => {
    const dir = tempDir();
    const res = await agh(['workspace', 'add', dir, '--name', 'plain-add']);
    assert.equal(res.code, 0, explain(['workspace', 'add'], res));
    assert.match(res.stdout, /registered workspace plain-add/);
    assert.match(res.stdout, /^root\s+\S+/m);
  });

  test('list prints a table with names and ids, and parses as JSON with -o json', async () => {
    const { dir, workspace } = await addWorkspace('listed-one');
    const table = await agh(['workspace', 'list']);
    assert.equal(table.code, 0, explain(['workspace', 'list'], table));
    assert.match(table.stdout, /NAME/);
    assert.ok(table.stdout.includes('listed-one'), table.stdout);
    assert.ok(table.stdout.includes(workspace.id), table.stdout);

    const json = await aghJson<{ workspaces: Workspace[] }>(['workspace', 'list']);
    const found = json.workspaces.find((w) => w.id === workspace.id);
    assert.equal(found?.name, 'listed-one');
    assert.equal(found?.root_dir, realpathSync(dir));
  });

  test('show <name> prints the fields and the agents, skills and providers sections', async () => {
    const { dir, workspace } = await addWorkspace('shown');
    const res = await agh(['workspace', 'show', 'shown']);
    assert.equal(res.code, 0, explain(['workspace', 'show'], res));
    assert.match(res.stdout, /^name\s+shown$/m);
    assert.match(res.stdout, new RegExp(`^id\\s+${workspace.id}$`, 'm'));
    assert.match(res.stdout, new RegExp(`^root\\s+${escapeRegExp(realpathSync(dir))}$`, 'm'));
    for (const section of ['agents (', 'skills (', 'providers:']) {
      assert.ok(res.stdout.includes(section), `"${section}" missing:\n${res.stdout}`);
    }
  });

  test('show <a directory inside the workspace> finds it, by absolute or relative path', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'src', 'deep'), { recursive: true });
    const { workspace } = await aghJson<{ workspace: Workspace }>(['workspace', 'add', dir]);

    const byAbsolute = await aghJson(['workspace', 'show', join(dir, 'src', 'deep')]);
    assert.equal(byAbsolute.workspace.id, workspace.id);
    const byRelative = await aghJson(['workspace', 'show', './deep'], { cwd: join(dir, 'src') });
    assert.equal(byRelative.workspace.id, workspace.id);
  });

  test('update <name> --name renames; without options it exits 2', async () => {
    const { workspace } = await addWorkspace('before-rename');
    const renamed = await aghJson<{ workspace: Workspace }>([
      'workspace',
      'update',
      'before-rename',
      '--name',
      'after-rename',
    ]);
    assert.equal(renamed.workspace.id, workspace.id);
    assert.equal(renamed.workspace.name, 'after-rename');
    assert.equal((await aghJson(['workspace', 'show', 'after-rename'])).workspace.id, workspace.id);
    const old = await agh(['workspace', 'show', 'before-rename']);
    assert.equal(old.code, 1, explain(['workspace', 'show', 'before-rename'], old));

    const nothing = await agh(['workspace', 'update', 'after-rename']);
    assert.equal(nothing.code, 2, explain(['workspace', 'update'], nothing));
    assert.match(nothing.stderr, /nothing to change/);
  });

  test('resolve <dir> registers an unregistered directory once and returns the same id after', async () => {
    const dir = tempDir();
    const first = await aghJson<{ workspace: Workspace }>(['workspace', 'resolve', dir]);
    assert.equal(first.workspace.root_dir, realpathSync(dir));
    const second = await aghJson<{ workspace: Workspace }>(['workspace', 'resolve', dir]);
    assert.equal(second.workspace.id, first.workspace.id);
    const list = await aghJson<{ workspaces: Workspace[] }>(['workspace', 'list']);
    assert.equal(list.workspaces.filter((w) => w.root_dir === realpathSync(dir)).length, 1);
  });

  test('rm <name> unregisters; a second rm exits 1 with "no workspace matches"', async () => {
    const { workspace } = await addWorkspace('doomed');
    const rm = await agh(['workspace', 'rm', 'doomed']);
    assert.equal(rm.code, 0, explain(['workspace', 'rm'], rm));
    assert.match(rm.stdout, /unregistered workspace doomed/);
    const list = await aghJson<{ workspaces: Workspace[] }>(['workspace', 'list']);
    assert.equal(
      list.workspaces.some((w) => w.id === workspace.id),
      false,
    );

    const again = await agh(['workspace', 'rm', 'doomed']);
    assert.equal(again.code, 1, explain(['workspace', 'rm'], again));
    assert.match(again.stderr, /no workspace matches "doomed"/);
  });

  test('names that start with a dot or a tilde are names, not paths', async () => {
    for (const name of ['.dotproj', '~tilde']) {
      const created = await api.post('/api/workspaces', { body: { root_dir: tempDir(), name } });
      assert.equal(created.status, 201, created.text);
      const shown = await aghJson<{ workspace: Workspace }>(['workspace', 'show', name]);
      assert.equal(shown.workspace.id, created.body.workspace.id, name);
    }
  });

  test('an unknown -o format exits 2 before anything is changed', async () => {
    const dir = tempDir();
    const res = await agh(['workspace', 'add', dir, '-o', 'yaml']);
    assert.equal(res.code, 2, explain(['workspace', 'add'], res));
    assert.match(res.stderr, /yaml/);
    assert.equal(existsSync(join(dir, '.agh')), false, 'nothing was registered');
  });

  test('output piped into a reader that stops early is no error', async () => {
    await addWorkspace('piped');
    // `true` exits without reading, so agh writes into a closed pipe (EPIPE).
    const res = await runAgh(['-c', `"${AGH_BIN}" workspace list | true; exit \${PIPESTATUS[0]}`], {
      env: { AGH_HOME: home, AGH_HTTP_PORT: '0' },
      command: 'bash',
    });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stderr, '');
  });

  test('a name already in use exits 1 with "already in use"', async () => {
    await aghJson(['workspace', 'add', tempDir(), '--name', 'taken-name']);
    const res = await agh(['workspace', 'add', tempDir(), '--name', 'taken-name']);
    assert.equal(res.code, 1, explain(['workspace', 'add'], res));
    assert.match(res.stderr, /already in use/);
  });

  test('a directory that does not exist exits 1 with "does not exist"', async () => {
    const missing = join(tempDir(), 'not-there');
    const res = await agh(['workspace', 'add', missing]);
    assert.equal(res.code, 1, explain(['workspace', 'add'], res));
    assert.match(res.stderr, /does not exist/);
  });

  test('a wrong AGH_OPERATOR_TOKEN exits 4 and names the operator token', async () => {
    const res = await agh(['workspace', 'list'], { env: { AGH_OPERATOR_TOKEN: 'wrong' } });
    assert.equal(res.code, 4, explain(['workspace', 'list'], res));
    assert.match(res.stderr, /operator token/);
    assert.equal(res.stdout, '');
    const unsendable = await agh(['workspace', 'list'], { env: { AGH_OPERATOR_TOKEN: 'tökén with space' } });
    assert.equal(unsendable.code, 4, explain(['workspace', 'list'], unsendable));
    assert.match(unsendable.stderr, /operator token holds spaces/);
  });

  test('no daemon listening exits 3 with "cannot reach the agh daemon" and the start hint', async () => {
    const emptyHome = tempHome();
    const port = await closedPort();
    const res = await runAgh(['workspace', 'list'], {
      env: { AGH_HOME: emptyHome, AGH_HTTP_PORT: String(port) },
    });
    assert.equal(res.code, 3, explain(['workspace', 'list'], res));
    assert.match(res.stderr, /cannot reach the agh daemon/);
    assert.ok(res.stderr.includes(`127.0.0.1:${port}`), res.stderr);
    assert.match(res.stderr, /agh daemon start/);
  });

  test('--version prints the package version; an unknown command exits 2', async () => {
    const version = await agh(['--version']);
    assert.equal(version.code, 0);
    assert.equal(version.stdout.trim(), VERSION);

    const unknown = await agh(['frobnicate']);
    assert.equal(unknown.code, 2, explain(['frobnicate'], unknown));
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
