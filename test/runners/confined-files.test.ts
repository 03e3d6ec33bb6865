import assert from 'node:assert/strict';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfinedFiles } from '../../src/runners/confined-files.ts';
import { scratchDir } from '../helpers/app.ts';

describe('what an ACP agent may read and write through the client', () => {
  const setup = () => {
    const root = realpathSync(scratchDir());
    const outside = realpathSync(scratchDir());
    writeFileSync(join(root, 'a.txt'), 'one\ntwo\nthree\n');
    writeFileSync(join(outside, 'secret.txt'), 'secret');
    return { root, outside };
  };

  test('reads and writes inside the roots, with line ranges and new directories', async () => {
    const { root } = setup();
    const files = new ConfinedFiles([root]);
    assert.equal(await files.read(join(root, 'a.txt')), 'one\ntwo\nthree\n');
    assert.equal(await files.read(join(root, 'a.txt'), 2, 1), 'two');
    await files.write(join(root, 'new/dir/b.txt'), 'hello');
    assert.equal(readFileSync(join(root, 'new/dir/b.txt'), 'utf8'), 'hello');
    await files.write(join(root, 'a.txt'), 'short');
    assert.equal(
      readFileSync(join(root, 'a.txt'), 'utf8'),
      'short',
      'an existing file is replaced, not appended to',
    );
  });

  test('nothing outside the roots, through a link, a hard link, into .agh or the AGH home', async () => {
    const { root, outside } = setup();
    const home = join(root, 'agh-home');
    mkdirSync(home);
    writeFileSync(join(home, 'operator.token'), 'token');
    const files = new ConfinedFiles([root], { deny: [home] });
    const refused = async (op: Promise<unknown>, pattern: RegExp) => assert.rejects(op, pattern);
    await refused(files.read(join(outside, 'secret.txt')), /outside the session's workspace/);
    await refused(files.read(`${root}/../${outside.split('/').pop()}/secret.txt`), /outside/);
    await refused(files.read('relative.txt'), /not an absolute path/);
    symlinkSync(outside, join(root, 'out'));
    await refused(files.read(join(root, 'out/secret.txt')), /symbolic link/);
    await refused(files.write(join(root, 'out/new.txt'), 'x'), /symbolic link/);
    symlinkSync(join(outside, 'secret.txt'), join(root, 'link.txt'));
    await refused(files.read(join(root, 'link.txt')), /symbolic link/);
    linkSync(join(outside, 'secret.txt'), join(root, 'hard.txt'));
    await refused(files.read(join(root, 'hard.txt')), /other hard links/);
    await refused(files.write(join(root, 'hard.txt'), 'overwritten'), /other hard links/);
    assert.equal(
      readFileSync(join(outside, 'secret.txt'), 'utf8'),
      'secret',
      'the outside file is untouched',
    );
    await refused(files.read(join(home, 'operator.token')), /AGH home/);
    await refused(files.write(join(root, '.agh/agents/me/AGENT.md'), 'x'), /\.agh holds agent definitions/);
    assert.equal(existsSync(join(root, '.agh')), false);
    await refused(
      files.write(join(root, 'nested/.agh/agents/x/AGENT.md'), 'x'),
      /\.agh holds agent definitions/,
    );
  });

  test('a read-only agent may read but not write', async () => {
    const { root } = setup();
    const files = new ConfinedFiles([root], {
      writable: false,
      readOnlyReason: "the agent's permission mode is read_only",
    });
    assert.equal(await files.read(join(root, 'a.txt'), 1, 1), 'one');
    await assert.rejects(files.write(join(root, 'b.txt'), 'x'), /permission mode is read_only/);
    assert.equal(existsSync(join(root, 'b.txt')), false);
  });
});
