import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, isLoopbackHost, loadConfig } from '../../src/daemon/config.ts';
import { loadOrCreateOperatorToken } from '../../src/daemon/home.ts';
import { scratchDir } from '../helpers/app.ts';

const home = () => scratchDir('agh-config-');

describe('configuration', () => {
  test('defaults: ~/.agh, loopback, port 2123, SQLite in the home, info logs', () => {
    const c = loadConfig({});
    assert.equal(c.home, join(homedir(), '.agh'));
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 2123);
    assert.equal(c.database, join(homedir(), '.agh', 'agh.db'));
    assert.equal(c.logLevel, 'info');
    assert.equal(c.operatorToken, undefined);
    assert.equal(c.allowRemote, false);
  });

  test('environment variables set everything; port 0 means a free port', () => {
    const h = home();
    const c = loadConfig({
      AGH_HOME: h,
      AGH_HTTP_HOST: 'localhost',
      AGH_HTTP_PORT: '0',
      AGH_DATABASE_URL: 'postgres://u@db/agh',
      AGH_OPERATOR_TOKEN: 'secret-secret-secret',
      AGH_LOG_LEVEL: 'DEBUG',
    });
    assert.deepEqual(c, {
      home: h,
      host: 'localhost',
      port: 0,
      database: 'postgres://u@db/agh',
      operatorToken: 'secret-secret-secret',
      logLevel: 'debug',
      allowRemote: false,
      file: {},
    });
  });

  test('config.toml supplies values, and the environment wins over it', () => {
    const h = home();
    writeFileSync(
      join(h, 'config.toml'),
      '[http]\nhost = "127.0.0.2"\nport = 9000\nallow_remote = true\n[log]\nlevel = "warn"\n[database]\nurl = "/data/x.db"\n',
    );
    const fromFile = loadConfig({ AGH_HOME: h });
    assert.equal(fromFile.host, '127.0.0.2');
    assert.equal(fromFile.port, 9000);
    assert.equal(fromFile.allowRemote, true);
    assert.equal(fromFile.logLevel, 'warn');
    assert.equal(fromFile.database, '/data/x.db');
    const overridden = loadConfig({ AGH_HOME: h, AGH_HTTP_PORT: '9100', AGH_HTTP_ALLOW_REMOTE: 'false' });
    assert.equal(overridden.port, 9100);
    assert.equal(overridden.allowRemote, false);
  });

  test('bad values are refused with a message naming the setting', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ AGH_HTTP_PORT: 'abc' }, /AGH_HTTP_PORT must be an integer/],
      [{ AGH_HTTP_PORT: '70000' }, /AGH_HTTP_PORT/],
      [{ AGH_HTTP_PORT: '-1' }, /AGH_HTTP_PORT/],
      [{ AGH_HTTP_PORT: '0x10' }, /AGH_HTTP_PORT must be an integer/],
      [{ AGH_HTTP_PORT: '1e3' }, /AGH_HTTP_PORT must be an integer/],
      [{ AGH_HTTP_PORT: '80.0' }, /AGH_HTTP_PORT must be an integer/],
      [{ AGH_LOG_LEVEL: 'loud' }, /AGH_LOG_LEVEL must be one of/],
      [{ AGH_HTTP_ALLOW_REMOTE: 'maybe' }, /AGH_HTTP_ALLOW_REMOTE must be true or false/],
    ];
    for (const [env, message] of cases) {
      assert.throws(
        () => loadConfig({ AGH_HOME: home(), ...env }),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.match(err.message, message);
          return true;
        },
      );
    }
  });

  test('config.toml with unknown keys, wrong types or bad TOML is refused', () => {
    for (const [content, message] of [
      ['[http]\nprot = 1\n', /unknown key http\.prot/],
      ['[nope]\n', /unknown section \[nope\]/],
      ['[http]\nport = "9000"\n', /http\.port must be a number/],
      ['[http\n', /not valid TOML/],
      ['[providers.x]\ncomand = "y"\n', /unknown key providers\.x\.comand/],
      ['[providers.x]\nharness = "ssh"\n', /providers\.x\.harness/],
      ['[sessions]\nstop_grace_seconds = 0\n', /sessions\.stop_grace_seconds/],
      ['[autonomy.coordinator]\nmax_children = 9\n', /autonomy\.coordinator\.max_children/],
    ] as const) {
      const h = home();
      writeFileSync(join(h, 'config.toml'), content);
      assert.throws(() => loadConfig({ AGH_HOME: h }), message);
    }
  });

  test('a relative AGH_HOME is made absolute', () => {
    assert.equal(loadConfig({ AGH_HOME: 'rel/home' }).home, join(process.cwd(), 'rel/home'));
  });

  test('loopback detection', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['0.0.0.0', '10.0.0.1', '::', 'example.com']) assert.equal(isLoopbackHost(h), false, h);
  });
});

describe('operator token', () => {
  test('generated once into operator.token with mode 0600, then reused', async () => {
    const h = home();
    const first = await loadOrCreateOperatorToken(h);
    assert.equal(first.source, 'generated');
    assert.match(first.token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(statSync(join(h, 'operator.token')).mode & 0o777, 0o600);
    const second = await loadOrCreateOperatorToken(h);
    assert.deepEqual(second, { token: first.token, source: 'file' });
  });

  test('a configured token wins and nothing is written', async () => {
    const h = home();
    const got = await loadOrCreateOperatorToken(h, 'from-env');
    assert.deepEqual(got, { token: 'from-env', source: 'environment' });
    assert.throws(() => statSync(join(h, 'operator.token')));
  });

  test('a token file readable by others is tightened to 0600', async () => {
    const h = home();
    writeFileSync(join(h, 'operator.token'), 'loose-but-long-enough\n', { mode: 0o644 });
    const got = await loadOrCreateOperatorToken(h);
    assert.equal(got.token, 'loose-but-long-enough');
    assert.equal(statSync(join(h, 'operator.token')).mode & 0o777, 0o600);
  });

  test('tokens that could not be sent as typed, or are too short to be secret, are refused', async () => {
    for (const token of ['has space inside it', 'non-ascii-tökén-value', 'short']) {
      assert.throws(
        () => loadConfig({ AGH_HOME: home(), AGH_OPERATOR_TOKEN: token }),
        (err: Error) => err instanceof ConfigError && /AGH_OPERATOR_TOKEN must be/.test(err.message),
        token,
      );
      const h = home();
      writeFileSync(join(h, 'operator.token'), `${token}\n`, { mode: 0o600 });
      await assert.rejects(
        loadOrCreateOperatorToken(h),
        (err: Error) => err instanceof ConfigError && err.message.includes('operator.token must be'),
      );
    }
  });

  test('concurrent first starts agree on one token', async () => {
    const h = home();
    const tokens = await Promise.all(Array.from({ length: 5 }, () => loadOrCreateOperatorToken(h)));
    assert.equal(new Set(tokens.map((t) => t.token)).size, 1);
  });
});
