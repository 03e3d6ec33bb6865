// The task stream (tasks.md §6.4): backlog then live, the whole subtree (children created later too),
// `id:` = global sequence, and a reconnect with Last-Event-ID that neither loses nor repeats events;
// on SQLite and on PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TEST_TOKEN, type TestApp } from '../helpers/app.ts';
import { assertComponent, recordStream } from '../helpers/contract.ts';
import { forEachDialect, startTestAppOn } from '../helpers/dialects.ts';

interface Frame {
  id: number;
  event: string;
  data: any;
}

/**
 * Reads SSE frames from a live response until `until` is satisfied, then aborts the request.
 * `onOpen` runs once the response headers are in: the stream listens for events before it sends
 * them, so whatever `onOpen` writes is either in the backlog or delivered live, never lost.
 */
async function readFrames(
  url: string,
  headers: Record<string, string>,
  until: (frames: Frame[]) => boolean,
  onOpen?: () => Promise<void>,
): Promise<{ frames: Frame[]; status: number; contentType: string | null }> {
  const controller = new AbortController();
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${TEST_TOKEN}`, ...headers },
    signal: controller.signal,
  });
  const frames: Frame[] = [];
  if (res.status !== 200 || !res.body)
    return { frames, status: res.status, contentType: res.headers.get('content-type') };
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let opened = false;
  // Bounds only a failure (a frame that never comes); generous so that a busy machine cannot trip it.
  const deadline = setTimeout(() => controller.abort(), 60_000);
  try {
    while (!until(frames)) {
      if (!opened && onOpen) {
        opened = true;
        void onOpen();
      }
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const fields = Object.fromEntries(
          block
            .split('\n')
            .filter((l) => !l.startsWith(':') && l.includes(':'))
            .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
        );
        if (fields.id === undefined) continue;
        frames.push({ id: Number(fields.id), event: fields.event!, data: JSON.parse(fields.data!) });
      }
    }
  } finally {
    clearTimeout(deadline);
    controller.abort();
  }
  return { frames, status: res.status, contentType: res.headers.get('content-type') };
}

forEachDialect('task stream', (ctx) => {
  let t: TestApp;
  before(async () => {
    t = await startTestAppOn(ctx);
  });
  after(() => t.close());

  test('backlog, then live events of the task and of children created later; resume by Last-Event-ID', async () => {
    const root = (await t.api.post('/api/tasks', { body: { scope: 'global', title: 'parent' } })).body.task;
    const unrelated = (await t.api.post('/api/tasks', { body: { scope: 'global', title: 'noise' } })).body
      .task;
    const url = `${t.url}/api/tasks/${root.id}/stream?after_sequence=0`;
    let childId = '';
    const first = await readFrames(
      url,
      {},
      (frames) => frames.some((f) => f.event === 'task.run_enqueued' && f.data.timeline.task.id === childId),
      async () => {
        await t.api.post(`/api/tasks/${unrelated.id}/start`, { body: {} });
        childId = (
          await t.api.post(`/api/tasks/${root.id}/children`, { body: { scope: 'global', title: 'child' } })
        ).body.task.id;
        await t.api.post(`/api/tasks/${childId}/start`, { body: {} });
      },
    );
    assert.equal(first.status, 200);
    recordStream(new URL(url).pathname, first.status, first.contentType);
    const events = first.frames.map((f) => `${f.data.timeline.task.title}:${f.event}`);
    assert.deepEqual(events, [
      'parent:task.created',
      'child:task.created',
      'parent:task.child_created',
      'child:task.run_enqueued',
    ]);
    for (const f of first.frames) {
      assert.equal(f.id, f.data.sequence);
      assert.equal(f.event, f.data.type);
      assertComponent('TaskStreamEvent', f.data);
    }
    const ids = first.frames.map((f) => f.id);
    assert.deepEqual(
      [...ids].sort((a, b) => a - b),
      ids,
      'in sequence order',
    );

    // Reconnect after the second frame: exactly the rest, then what happens next.
    const resumed = await readFrames(
      `${t.url}/api/tasks/${root.id}/stream?after_sequence=0`,
      { 'last-event-id': String(ids[1]) },
      (frames) => frames.some((f) => f.event === 'task.updated'),
      async () => {
        await t.api.patch(`/api/tasks/${childId}`, { body: { title: 'child, renamed' } });
      },
    );
    assert.deepEqual(
      resumed.frames.map((f) => f.id),
      [...ids.slice(2), resumed.frames.at(-1)!.id],
    );
    assert.equal(resumed.frames.at(-1)!.data.timeline.task.title, 'child, renamed');
  });

  test('errors before the stream starts are JSON: unknown task 404, bad Last-Event-ID 422', async () => {
    const missing = await t.api.get('/api/tasks/task-missing/stream');
    assert.equal(missing.status, 404);
    const task = (await t.api.post('/api/tasks', { body: { scope: 'global', title: 'x' } })).body.task;
    const bad = await t.api.get(`/api/tasks/${task.id}/stream`, { headers: { 'last-event-id': 'abc' } });
    assert.equal(bad.status, 422);
  });
});
