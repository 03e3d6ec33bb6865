// The folders of src/ in layer order, lowest first, and the ESLint rule that holds them to it: a
// module may import from its own folder and from folders below it, never from one above. A strict
// order makes a cycle between folders impossible, and keeps the domain ignorant of every transport
// (nothing below `http` can reach it). Type-only imports count too: a type import is still a
// dependency a reader has to follow.
import { dirname, relative, resolve, sep } from 'node:path';

/** Lowest first. Each row: the folder and what it holds (the README's architecture section mirrors it). */
export const LAYERS = [
  ['lib', 'ids, clock, errors, small helpers'],
  ['contract', 'wire shapes, value sets and the event catalogue shared by every transport'],
  ['store', 'database setup, dialects, migrations, the event log'],
  ['settings', 'the configuration files, parsed and resolved'],
  ['agents', 'agent definitions, providers, skills'],
  ['souls', 'SOUL.md'],
  ['workspaces', 'registered directories'],
  ['sessions', 'supervised agents, the runner port, the agent API'],
  ['tasks', 'the task kernel: tasks, runs, leases, events, scheduler'],
  ['runners', 'the harnesses: ACP over stdio, plain processes'],
  ['dispatch', 'the dispatcher loop'],
  ['principals', 'who calls: credentials, caller rules, principal → actor'],
  ['operations', 'each operation once: input, caller rule, handler'],
  ['client', 'the typed HTTP client'],
  ['http', 'the HTTP adapter'],
  ['daemon', 'composition: config, wiring, loops, boot'],
  ['cli', 'the agh command'],
];

const RANK = new Map(LAYERS.map(([name], i) => [name, i]));

/** The top folder of src/ that a path lies in, or undefined outside src/. */
function folderOf(srcRoot, path) {
  const rel = relative(srcRoot, path);
  if (rel.startsWith('..') || rel === '') return undefined;
  const top = rel.split(sep)[0];
  return rel.includes(sep) ? top : undefined;
}

const folderOrder = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports follow the layer order of src/ folders (no upward import, no cycle).' },
    messages: {
      upward:
        '{{from}}/ must not import from {{to}}/: {{to}} is a higher layer ({{order}}). Move the shared piece down, or pass it in from the composition root.',
      unknown:
        'src/{{folder}}/ is not in the layer table: add it to LAYERS in scripts/eslint-layers.js at the height it belongs.',
    },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    const srcRoot = resolve(context.cwd, 'src');
    const from = folderOf(srcRoot, file);
    if (from === undefined) return {};
    const check = (node, specifier) => {
      if (typeof specifier !== 'string' || !specifier.startsWith('.')) return;
      const to = folderOf(srcRoot, resolve(dirname(file), specifier));
      if (to === undefined || to === from) return;
      for (const folder of [from, to]) {
        if (!RANK.has(folder)) {
          context.report({ node, messageId: 'unknown', data: { folder } });
          return;
        }
      }
      if (RANK.get(to) > RANK.get(from)) {
        const order = LAYERS.map(([name]) => name).join(' < ');
        context.report({ node, messageId: 'upward', data: { from, to, order } });
      }
    };
    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
    };
  },
};

export const layersPlugin = { rules: { 'folder-order': folderOrder } };
