// The daemon as a real process: `bin/agh daemon start` in the foreground and in the background, its
// home files (token, daemon.json, log), signals, refusals at start-up, and both database dialects.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Api } from '../helpers/api.ts';
import {
  closedPort,
  daemonFilePid,
  isAlive,
  killStarted,
  removeTempDirs,
  runAgh,
  startForegroundDaemon,
  tempDir,
  tempHome,
} from '../helpers/daemon-process.ts';
import { postgresUnavailable, startPostgres } from '../helpers/postgres.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const readToken = (home: string) => readFileSync(join(home, 'operator.token'), 'utf8').trim();
const readLog = (home: string) => readFileSync(join(home, 'logs', 'agh.log'), 'utf8');
const readDaemonJson = (home: string) =>
  JSON.parse(readFileSync(join(home, 'daemon.json'), 'utf8')) as { pid: number; url: string };

// Every test has a home, a port and processes of its own: they run a few at a time, since each
// mostly waits for processes to start and stop.
describe('agh daemon as a real process', { concurrency: 3 }, () => {
  after(() => {
    killStarted();
    removeTempDirs();
  });

  test('foreground: logs its URL, answers /api/status without a token, records daemon.json', async () => {
    const home = tempHome();
    const daemon = await startForegroundDaemon(home);
    assert.match(daemon.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(daemon.url, 'http://127.0.0.1:0', 'port 0 is replaced by the real port');

    const res = await new Api(daemon.url, 'unused').get('/api/status', { token: null });
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'ok');
    assert.equal(res.body.version, VERSION);
    assert.ok(Number.isInteger(res.body.uptime_seconds) && res.body.uptime_seconds >= 0);
    assert.deepEqual(res.body.database, { dialect: 'sqlite' });

    const info = readDaemonJson(home);
    assert.equal(info.pid, daemon.pid);
    assert.equal(info.url, daemon.url);

    const exit = await daemon.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.equal(existsSync(join(home, 'daemon.json')), false, 'daemon.json is removed on shutdown');
  });

  test('the operator token file is 0600, works, and is reused by the next daemon on the same home', async () => {
    const home = tempHome();
    const first = await startForegroundDaemon(home);
    const token = readToken(home);
    assert.ok(token.length >= 20, `a real secret, got ${token.length} characters`);
    assert.equal(statSync(join(home, 'operator.token')).mode & 0o777, 0o600);

    const api = new Api(first.url, token);
    assert.equal((await api.get('/api/workspaces')).status, 200);
    assert.equal((await api.get('/api/workspaces', { token: null })).status, 401);
    assert.equal((await api.get('/api/workspaces', { token: 'not-the-token' })).status, 401);
    assert.equal((await first.stop()).code, 0);

    const second = await startForegroundDaemon(home);
    assert.equal(readToken(home), token, 'the restarted daemon keeps the token');
    assert.equal((await new Api(second.url, token).get('/api/workspaces')).status, 200);
    assert.equal((await second.stop()).code, 0);
  });

  test('AGH_OPERATOR_TOKEN replaces the token file, whose token is then refused', async () => {
    const home = tempHome();
    const plain = await startForegroundDaemon(home);
    await plain.stop();
    const fileToken = readToken(home);

    const envToken = 'env-operator-token-abcdefghijklmnop';
    const daemon = await startForegroundDaemon(home, { env: { AGH_OPERATOR_TOKEN: envToken } });
    const api = new Api(daemon.url, envToken);
    assert.equal((await api.get('/api/workspaces')).status, 200);
    const refused = await api.get('/api/workspaces', { token: fileToken });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.diagnostic.code, 'unauthorized');
    assert.equal(readToken(home), fileToken, 'the file is left alone');
    assert.equal((await daemon.stop()).code, 0);
  });

  test('neither the operator token nor a wrong one reaches the log, even at trace level', async () => {
    const home = tempHome();
    const daemon = await startForegroundDaemon(home, { env: { AGH_LOG_LEVEL: 'trace' } });
    const token = readToken(home);
    const wrong = 'wrong-token-that-must-not-be-logged-42';
    const api = new Api(daemon.url, token);
    const dir = tempDir();
    assert.equal((await api.post('/api/workspaces', { body: { root_dir: dir } })).status, 201);
    assert.equal((await api.get('/api/workspaces')).status, 200);
    assert.equal((await api.get('/api/workspaces', { token: wrong })).status, 401);
    assert.equal((await api.get('/api/nothing-here')).status, 404);
    assert.equal((await daemon.stop()).code, 0);

    const log = readLog(home);
    assert.match(log, /incoming request|request completed/, 'requests are logged at all');
    assert.match(log, /"reqId":"req_[0-9a-f]{12}"/, 'log lines carry the request id');
    for (const [what, secret] of [
      ['operator token', token],
      ['wrong token', wrong],
    ] as const) {
      assert.equal(log.includes(secret), false, `the ${what} is in logs/agh.log`);
      assert.equal(daemon.stdout().includes(secret), false, `the ${what} is on stdout`);
      assert.equal(daemon.stderr().includes(secret), false, `the ${what} is on stderr`);
    }
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} shuts down gracefully: exit 0, daemon.json removed, "stopped" logged`, async () => {
      const home = tempHome();
      const daemon = await startForegroundDaemon(home);
      assert.equal(readDaemonJson(home).pid, daemon.pid);
      const exit = await daemon.stop(signal);
      assert.deepEqual(exit, { code: 0, signal: null });
      assert.equal(existsSync(join(home, 'daemon.json')), false);
      const logFile = join(home, 'logs', 'agh.log');
      assert.ok(existsSync(logFile), 'logs/agh.log exists');
      const log = readLog(home);
      assert.match(log, new RegExp(`${signal} received`));
      assert.match(log, /"msg":"stopped"/);
    });
  }

  test('a second daemon on the same home is refused while the first runs', async () => {
    const home = tempHome();
    const first = await startForegroundDaemon(home);
    const second = await runAgh(['daemon', 'start', '--foreground'], {
      env: { AGH_HOME: home, AGH_HTTP_PORT: '0' },
    });
    assert.notEqual(second.code, 0, `the second daemon must fail\n${second.stdout}`);
    assert.match(second.stderr, /another agh daemon \(pid \d+\) already serves/);
    assert.ok(second.stderr.includes(home), `names the home: ${second.stderr}`);

    assert.equal(readDaemonJson(home).pid, first.pid, 'daemon.json still describes the first daemon');
    const res = await new Api(first.url, readToken(home)).get('/api/status', { token: null });
    assert.equal(res.status, 200, 'the first daemon still serves');
    assert.equal((await first.stop()).code, 0);
  });

  test('two daemons started at the same moment on one home: exactly one serves', async () => {
    const home = tempHome();
    const results = await Promise.allSettled([startForegroundDaemon(home), startForegroundDaemon(home)]);
    const winners = results.filter((r) => r.status === 'fulfilled');
    const losers = results.filter((r) => r.status === 'rejected');
    assert.equal(winners.length, 1, 'one daemon starts');
    assert.equal(losers.length, 1, 'the other is refused');
    assert.match(String((losers[0] as PromiseRejectedResult).reason), /already serves/);
    const winner = (winners[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof startForegroundDaemon>>>)
      .value;
    assert.equal(readDaemonJson(home).pid, winner.pid);
    assert.equal((await winner.stop()).code, 0);
    assert.equal(existsSync(join(home, 'daemon.lock')), false, 'the lock is released on shutdown');
  });

  test('a lock and daemon.json left by a process that is no agh daemon neither block start nor get it signalled', async () => {
    const home = tempHome();
    const bystander = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const pid = bystander.pid as number;
      writeFileSync(join(home, 'daemon.lock'), `${pid}\n`);
      writeFileSync(join(home, 'daemon.json'), JSON.stringify({ pid, url: 'http://127.0.0.1:9' }));
      const stop = await runAgh(['daemon', 'stop'], { env: { AGH_HOME: home } });
      assert.equal(stop.code, 0, stop.stderr);
      assert.match(stop.stdout, /not running/);
      assert.equal(isAlive(pid), true, 'the unrelated process was not signalled');

      const daemon = await startForegroundDaemon(home);
      assert.equal(readDaemonJson(home).pid, daemon.pid);
      assert.equal((await daemon.stop()).code, 0);
      assert.equal(isAlive(pid), true);
    } finally {
      bystander.kill('SIGKILL');
    }
  });

  test('a port already in use is a one-line error with exit code 2, in the foreground or not', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as AddressInfo).port;
      for (const args of [
        ['daemon', 'start', '--foreground'],
        ['daemon', 'start'],
      ]) {
        const home = tempHome();
        const res = await runAgh(args, { env: { AGH_HOME: home, AGH_HTTP_PORT: String(port) } });
        assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
        assert.match(
          res.stderr,
          new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use`),
        );
        assert.doesNotMatch(res.stderr, /^\s+at /m, 'no stack trace');
        assert.equal(existsSync(join(home, 'daemon.lock')), false, 'the lock is released');
      }
    } finally {
      blocker.close();
    }
  });

  test('an unusable operator.token is a one-line error with exit code 2; status does not need it', async () => {
    const dirHome = tempHome();
    mkdirSync(join(dirHome, 'operator.token'));
    const emptyHome = tempHome();
    writeFileSync(join(emptyHome, 'operator.token'), '\n', { mode: 0o600 });
    for (const [home, message] of [
      [dirHome, /cannot read the operator token file .*EISDIR/],
      [emptyHome, /holds no token/],
    ] as const) {
      const env = { AGH_HOME: home, AGH_HTTP_PORT: String(await closedPort()) };
      const start = await runAgh(['daemon', 'start', '--foreground'], { env });
      assert.equal(start.code, 2, start.stderr);
      assert.match(start.stderr, message);
      assert.doesNotMatch(start.stderr, /^\s+at /m, 'no stack trace');
      const status = await runAgh(['daemon', 'status'], { env });
      assert.equal(status.code, 3, `status says "not running": ${status.stdout}${status.stderr}`);
    }
    const list = await runAgh(['workspace', 'list'], { env: { AGH_HOME: dirHome } });
    assert.equal(list.code, 2, list.stderr);
    assert.match(list.stderr, /cannot read the operator token file/);
  });

  describe('start-up refusals exit with code 2', () => {
    const start = (home: string, env: Record<string, string>) =>
      runAgh(['daemon', 'start', '--foreground'], { env: { AGH_HOME: home, AGH_HTTP_PORT: '0', ...env } });

    test('a non-loopback host without AGH_HTTP_ALLOW_REMOTE', async () => {
      const home = tempHome();
      const res = await start(home, { AGH_HTTP_HOST: '0.0.0.0' });
      assert.equal(res.code, 2, res.stderr);
      assert.match(res.stderr, /loopback/);
      assert.match(res.stderr, /AGH_HTTP_ALLOW_REMOTE/);
      assert.equal(existsSync(join(home, 'daemon.json')), false);
    });

    test('a port that is not a number', async () => {
      const res = await start(tempHome(), { AGH_HTTP_PORT: 'abc' });
      assert.equal(res.code, 2, res.stderr);
      assert.match(res.stderr, /AGH_HTTP_PORT must be an integer from 0 to 65535.*"abc"/);
    });

    test('a port out of range', async () => {
      const res = await start(tempHome(), { AGH_HTTP_PORT: '70000' });
      assert.equal(res.code, 2, res.stderr);
      assert.match(res.stderr, /AGH_HTTP_PORT/);
    });

    test('an unknown key in config.toml', async () => {
      const home = tempHome();
      writeFileSync(join(home, 'config.toml'), '[http]\nport = 0\nbogus = true\n');
      const res = await start(home, {});
      assert.equal(res.code, 2, res.stderr);
      assert.match(res.stderr, /config\.toml: unknown key http\.bogus/);
    });
  });

  test('background: start returns once ready, status reports it, stop ends it', async () => {
    const home = tempHome();
    const env = { AGH_HOME: home, AGH_HTTP_PORT: '0' };
    const start = await runAgh(['daemon', 'start'], { env });
    assert.equal(start.code, 0, start.stderr);
    const match = /agh daemon is running \(pid (\d+)\) at (http:\/\/127\.0\.0\.1:\d+)/.exec(start.stdout);
    assert.ok(match?.[1] && match[2], `start prints the pid and URL:\n${start.stdout}`);
    const pid = Number(match[1]);
    const url = match[2];
    assert.ok(isAlive(pid));
    assert.equal(daemonFilePid(home), pid);
    const ready = await new Api(url, readToken(home)).get('/api/status', { token: null });
    assert.equal(ready.status, 200, 'start returned only once the daemon answers');

    const again = await runAgh(['daemon', 'start'], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`already running \\(pid ${pid}\\)`));

    const status = await runAgh(['daemon', 'status', '-o', 'json'], { env });
    assert.equal(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout);
    assert.equal(report.running, true);
    assert.equal(report.pid, pid);
    assert.equal(report.url, url);
    assert.equal(report.version, VERSION);
    assert.equal(report.database.dialect, 'sqlite');

    const table = await runAgh(['daemon', 'status'], { env });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /status\s+running/);
    assert.ok(table.stdout.includes(url));

    const stop = await runAgh(['daemon', 'stop'], { env });
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /agh daemon stopped/);
    assert.equal(isAlive(pid), false, 'the daemon process is gone');
    assert.equal(existsSync(join(home, 'daemon.json')), false);

    const stoppedStatus = await runAgh(['daemon', 'status'], { env });
    assert.equal(stoppedStatus.code, 3, stoppedStatus.stdout + stoppedStatus.stderr);
    assert.match(stoppedStatus.stdout, /not running/);
    const afterJson = await runAgh(['daemon', 'status', '-o', 'json'], { env });
    assert.equal(afterJson.code, 3);
    assert.equal(JSON.parse(afterJson.stdout).running, false);

    const stopAgain = await runAgh(['daemon', 'stop'], { env });
    assert.equal(stopAgain.code, 0, stopAgain.stderr);
    assert.match(stopAgain.stdout, /not running/);
  });

  test('PostgreSQL: status reports the dialect and workspaces survive a restart', async (t) => {
    const unavailable = postgresUnavailable();
    if (unavailable) {
      t.skip(unavailable);
      return;
    }
    const pg = await startPostgres();
    try {
      const database = await pg.newDatabase();
      const home = tempHome();
      const env = { AGH_DATABASE_URL: database };
      const dir = tempDir();

      const first = await startForegroundDaemon(home, { env });
      const token = readToken(home);
      const api1 = new Api(first.url, token);
      const status = await api1.get('/api/status', { token: null });
      assert.equal(status.status, 200);
      assert.equal(status.body.database.dialect, 'postgres');
      const created = await api1.post('/api/workspaces', { body: { root_dir: dir, name: 'pg-survivor' } });
      assert.equal(created.status, 201);
      assert.equal((await first.stop()).code, 0);
      assert.equal(existsSync(join(home, 'agh.db')), false, 'no SQLite file next to a PostgreSQL daemon');

      const second = await startForegroundDaemon(home, { env });
      const list = await new Api(second.url, token).get('/api/workspaces');
      assert.equal(list.status, 200);
      const found = list.body.workspaces.find((w: { id: string }) => w.id === created.body.workspace.id);
      assert.ok(found, `workspace still listed: ${list.text}`);
      assert.equal(found.name, 'pg-survivor');
      assert.equal((await second.stop()).code, 0);
    } finally {
      await pg.stop();
    }
  });
});
