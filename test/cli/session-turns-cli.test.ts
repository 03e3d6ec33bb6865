// `agh session prompt` and `agh session events` end to end: streaming and waited turns, failed turns,
// following events, Ctrl-C; the real CLI against a real foreground daemon with the fake ACP agent
// (the setting: test/helpers/session-cli.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventually } from '../helpers/agents.ts';
import { AGH_BIN, runAgh } from '../helpers/daemon-process.ts';
import { type Session, sessionCliSuite, type Turn } from '../helpers/session-cli.ts';

describe('agh session prompt and events (CLI against a real daemon)', () => {
  const suite = sessionCliSuite();
  const { env, agh, explain, aghJson, start, newSession, events, finish } = suite;

  test('prompt streams the answer to stdout and ends with the turn', async () => {
    const session = await newSession();
    const res = await agh(['session', 'prompt', session.id, 'hello']);
    assert.equal(res.code, 0, explain(['session', 'prompt'], res));
    assert.equal(res.stdout, 'echo: hello\n');
    assert.equal(res.stderr, '');

    // A second turn prints only its own answer, not the first one's.
    const again = await agh(['session', 'prompt', session.id, 'hello', 'again']);
    assert.equal(again.code, 0, explain(['session', 'prompt'], again));
    assert.equal(again.stdout, 'echo: hello again\n');
  });

  test('prompt prints tool calls and permission decisions to stderr, the answer to stdout', async () => {
    const session = await newSession();
    const res = await agh(['session', 'prompt', session.id, 'permission', 'edit']);
    assert.equal(res.code, 0, explain(['session', 'prompt'], res));
    assert.match(res.stdout, /^permission: (yes|no)\n$/);
    assert.match(res.stderr, /^\[tool\] do edit \(edit\): pending$/m);
    assert.match(res.stderr, /^\[permission\] do edit \(edit\): (allowed|rejected) by mode \S+$/m);
  });

  test('prompt -o json prints the finished turn with its text', async () => {
    const session = await newSession();
    const { turn } = await aghJson<{ turn: Turn }>(['session', 'prompt', session.id, 'hello']);
    assert.equal(turn.session_id, session.id);
    assert.match(turn.id, /^turn-/);
    assert.equal(turn.state, 'completed');
    assert.equal(turn.stop_reason, 'end_turn');
    assert.equal(turn.text, 'echo: hello');
  });

  test('prompt --wait (and --no-stream) prints the whole answer once the turn has ended', async () => {
    const session = await newSession();
    const res = await agh(['session', 'prompt', session.id, '--wait', 'hello']);
    assert.equal(res.code, 0, explain(['session', 'prompt', '--wait'], res));
    assert.equal(res.stdout, 'echo: hello\n');
    assert.equal(res.stderr, '');
    const { turn } = await aghJson<{ turn: Turn }>([
      'session',
      'prompt',
      session.id,
      '--no-stream',
      'once',
      'more',
    ]);
    assert.equal(turn.state, 'completed');
    assert.equal(turn.text, 'echo: once more');
  });

  test('a failed turn exits 1 with its error, streaming or waiting', async () => {
    const session = await newSession();
    const streamed = await agh(['session', 'prompt', session.id, 'refuse']);
    assert.equal(streamed.code, 1, explain(['session', 'prompt', 'refuse'], streamed));
    assert.match(streamed.stderr, /^error: turn turn-\S+ failed: .*refusing this prompt/m);
    const waited = await agh(['session', 'prompt', session.id, '--wait', 'refuse', '-o', 'json']);
    assert.equal(waited.code, 1, explain(['session', 'prompt', '--wait', 'refuse'], waited));
    assert.equal(JSON.parse(waited.stdout).turn.state, 'failed');
    assert.match(waited.stderr, /refusing this prompt/);
  });

  test('events --no-follow lists the stored events, one a line; -o json and --after', async () => {
    const session = await newSession();
    assert.equal((await agh(['session', 'prompt', session.id, 'hello'])).code, 0);

    const human = await agh(['session', 'events', session.id, '--no-follow']);
    assert.equal(human.code, 0, explain(['session', 'events'], human));
    const lines = human.stdout.trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => l.trim().split(/\s+/)[2]),
      ['state', 'state', 'turn_started', 'agent_message', 'turn_completed'],
    );
    assert.match(lines[0] ?? '', /^ {3}1 {2}\d\d:\d\d:\d\d\.\d{3} {2}state {13}starting agent echo/);
    assert.match(lines[2] ?? '', /turn_started\s+turn-\S+ from user: "hello"$/);
    assert.match(lines[3] ?? '', /agent_message\s+"echo: hello"$/);
    assert.match(lines[4] ?? '', /turn_completed\s+turn-\S+: end_turn$/);

    const json = await events(session.id);
    assert.deepEqual(
      json.map((e) => e.seq),
      [1, 2, 3, 4, 5],
    );
    assert.ok(json.every((e) => e.session_id === session.id));
    assert.deepEqual(json[3]?.data, { text: 'echo: hello' });
    const later = await events(session.id, ['--after', '3']);
    assert.deepEqual(
      later.map((e) => e.type),
      ['agent_message', 'turn_completed'],
    );
  });

  test('events follows until the session stops; stop --detail stops it, and stopping again is fine', async () => {
    const session = await newSession();
    const follower = start(['session', 'events', session.id]);
    await eventually(
      () => follower.stdout().includes('active, pid'),
      'the follower to print the active state',
    );

    const res = await agh(['session', 'stop', session.id, '--detail', 'done for today']);
    assert.equal(res.code, 0, explain(['session', 'stop'], res));
    assert.match(res.stdout, new RegExp(`^stopped session ${session.id}$`, 'm'));
    assert.match(res.stdout, /^state\s+stopped$/m);
    assert.match(res.stdout, /^stop reason\s+user_canceled$/m);
    assert.match(res.stdout, /^stop detail\s+done for today$/m);

    const status = await finish(follower, 'agh session events');
    assert.equal(status.code, 0, follower.stderr());
    const lines = follower.stdout().trimEnd().split('\n');
    assert.match(lines.at(-1) ?? '', /state\s+stopped: user_canceled — done for today$/);
    assert.match(lines.at(-2) ?? '', /state\s+stopping: user_canceled$/);

    const again = await aghJson<{ session: Session }>(['session', 'stop', session.id]);
    assert.equal(again.session.state, 'stopped');
    assert.equal(again.session.stop_detail, 'done for today');
    // Following a stopped session prints its log and ends.
    const replay = await agh(['session', 'events', session.id, '--after', '1']);
    assert.equal(replay.code, 0, explain(['session', 'events'], replay));
    assert.match(replay.stdout.trimEnd().split('\n').at(-1) ?? '', /stopped: user_canceled/);
    const past = await agh(['session', 'events', session.id, '--after', '1000']);
    assert.equal(past.code, 0, explain(['session', 'events', '--after', '1000'], past));
    assert.equal(past.stdout, '');
  });

  test('Ctrl-C while a turn streams exits 130 and says how to follow the turn; the session stays busy', async () => {
    const session = await newSession();
    const prompt = start(['session', 'prompt', session.id, 'hang']);
    await eventually(() => prompt.stdout().includes('working...'), 'the agent to start its answer');
    prompt.child.kill('SIGINT');
    const status = await finish(prompt, 'agh session prompt');
    assert.equal(status.code, 130, prompt.stderr());
    assert.equal(prompt.stdout(), 'working...\n');
    assert.equal(
      prompt.stderr(),
      `the turn goes on in the daemon; follow it with: agh session events ${session.id}\n`,
    );

    const busy = await agh(['session', 'prompt', session.id, 'hello']);
    assert.equal(busy.code, 1, explain(['session', 'prompt'], busy));
    assert.match(busy.stderr, /in the middle of turn/);
    assert.equal(busy.stdout, '');

    const follower = start(['session', 'events', session.id]);
    await eventually(
      () => follower.stdout().includes('"working..."'),
      'the follower to print the answer so far',
    );
    follower.child.kill('SIGINT');
    const followed = await finish(follower, 'agh session events');
    assert.equal(followed.code, 130);
    assert.equal(follower.stderr(), '');
    assert.equal((await agh(['session', 'stop', session.id])).code, 0);
  });

  test('output piped into a reader that stops early is no error', async () => {
    const session = await newSession();
    const res = await runAgh(
      ['-c', `"${AGH_BIN}" session events ${session.id} --no-follow | true; exit \${PIPESTATUS[0]}`],
      {
        env: env(),
        command: 'bash',
      },
    );
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stderr, '');
  });
});
