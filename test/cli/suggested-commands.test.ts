// Every command the daemon suggests exists. The source of src/ (but the CLI and its client) is read
// with the TypeScript parser, and each `suggestedCommand` / `suggested_command` value that starts
// with `agh ` — a string or a template, in any branch of a conditional — is looked up in the
// command tree of the real CLI program: its words up to the first argument must name a command
// that runs (not a bare group), and each option it names must exist there. Error messages (thrown,
// `new …Error(…)`, `message:` fields) are checked too, where they mention `agh <group> …` for a
// top-level group of the CLI: words after the group must name its subcommands. Prose such as
// "agh keeps …" is not a group, so it is left alone.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import ts from 'typescript';
import { buildProgram } from '../../src/cli/main.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SRC = join(ROOT, 'src');
/** The CLI itself and its client are what the suggestions point at, not where they come from. */
const SKIPPED = new Set([join(SRC, 'cli'), join(SRC, 'client')]);

const SUGGESTION_KEYS = new Set(['suggestedCommand', 'suggested_command']);
const MESSAGE_KEYS = new Set(['message']);

interface Mention {
  kind: 'suggestion' | 'message';
  /** file:line */
  where: string;
  /** The literal's text, `${…}` for each substitution. */
  text: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED.has(full) ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function literalText(node: ts.Node): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node))
    return node.head.text + node.templateSpans.map((span) => `\${…}${span.literal.text}`).join('');
  return undefined;
}

function propertyName(node: ts.PropertyAssignment): string | undefined {
  const name = node.name;
  return ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : undefined;
}

/** True for `new AppError(…)`, `new Error(…)`, `new DaemonAlreadyRunning(…)`-style error classes. */
function isErrorConstruction(node: ts.Node): boolean {
  if (!ts.isNewExpression(node)) return false;
  const callee = node.expression;
  const name = ts.isIdentifier(callee)
    ? callee.text
    : ts.isPropertyAccessExpression(callee)
      ? callee.name.text
      : '';
  return /Error$/.test(name);
}

/** The suggestions and the error-message literals of one file's source. */
function mentionsIn(file: string, source: string): Mention[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const mentions: Mention[] = [];
  const where = (node: ts.Node) =>
    `${relative(ROOT, file)}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`;
  const visit = (node: ts.Node, context: 'suggestion' | 'message' | undefined) => {
    let inner = context;
    if (ts.isPropertyAssignment(node)) {
      const key = propertyName(node);
      if (key !== undefined && SUGGESTION_KEYS.has(key)) inner = 'suggestion';
      else if (key !== undefined && MESSAGE_KEYS.has(key) && inner === undefined) inner = 'message';
    } else if ((ts.isThrowStatement(node) || isErrorConstruction(node)) && inner === undefined) {
      inner = 'message';
    }
    const text = literalText(node);
    if (text !== undefined && inner !== undefined) {
      mentions.push({ kind: inner, where: where(node), text });
      return; // a template's parts are not literals of their own
    }
    ts.forEachChild(node, (child) => visit(child, inner));
  };
  visit(sf, undefined);
  return mentions;
}

function subcommand(parent: Command, word: string): Command | undefined {
  return parent.commands.find((c) => c.name() === word || c.aliases().includes(word));
}

function hasOption(chain: Command[], flag: string): boolean {
  if (flag === '--help' || flag === '-h') return true;
  return chain.some((c) => c.options.some((o) => o.long === flag || o.short === flag));
}

/**
 * Why `agh <words>` names no command of `program`, or undefined when it does. A suggestion must end
 * at a runnable command; a message may mention a bare group ("another agh daemon (pid …)").
 */
function commandProblem(program: Command, words: string[], kind: Mention['kind']): string | undefined {
  const chain: Command[] = [program];
  let at = program;
  let i = 0;
  for (; i < words.length; i++) {
    const word = words[i]!;
    if (!/^[a-z][a-z0-9-]*$/.test(word)) break; // an argument placeholder, `${…}` or an option
    const sub = subcommand(at, word);
    if (!sub) {
      // Below a leaf, a plain word is an argument (`agh workspace show src`); below a group it
      // should have been one of its commands.
      if (at.commands.length > 0) {
        const path = chain.map((c) => c.name()).join(' ');
        return `"${path}" has no command "${word}" (it has: ${at.commands.map((c) => c.name()).join(', ')})`;
      }
      break;
    }
    at = sub;
    chain.push(sub);
  }
  if (kind === 'suggestion' && at.commands.length > 0) {
    return `"${chain.map((c) => c.name()).join(' ')}" is a group, not a command that runs`;
  }
  for (const word of words.slice(i)) {
    const flag = /^(--?[a-z][a-z0-9-]*)/.exec(word)?.[1];
    if (flag && !hasOption(chain, flag))
      return `"${chain.map((c) => c.name()).join(' ')}" has no option ${flag}`;
  }
  return undefined;
}

/** The `agh …` commands a mention names: a whole suggestion; in a message each `agh <group> …`. */
function commandsOf(mention: Mention, groups: readonly string[]): string[][] {
  if (mention.kind === 'suggestion') {
    return mention.text.startsWith('agh ') ? [mention.text.slice(4).trim().split(/\s+/)] : [];
  }
  const names = groups.map((g) => g.replace(/[-]/g, '\\-')).join('|');
  // From the group to the end of the clause: a bracket, quote, comma, semicolon or colon ends it.
  const pattern = new RegExp(`(?:^|[\\s(\`'"])agh ((?:${names})(?=$|[\\s)\`'",;:])[^()\`'",;:\\n]*)`, 'g');
  return [...mention.text.matchAll(pattern)].map((m) => m[1]!.trim().split(/\s+/));
}

function topLevelGroups(program: Command): string[] {
  return program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
}

function problemsIn(files: { file: string; source: string }[]) {
  const program = buildProgram();
  const groups = topLevelGroups(program);
  const checked: string[] = [];
  const problems: string[] = [];
  for (const { file, source } of files) {
    for (const mention of mentionsIn(file, source)) {
      for (const words of commandsOf(mention, groups)) {
        checked.push(`agh ${words.join(' ')}`);
        const problem = commandProblem(program, words, mention.kind);
        if (problem) problems.push(`${mention.where}: ${mention.kind} "agh ${words.join(' ')}": ${problem}`);
      }
    }
  }
  return { checked, problems };
}

describe('suggested commands name commands of the CLI', () => {
  test('every suggestion and error message in src/ names an existing agh command', () => {
    const files = sourceFiles(SRC).map((file) => ({ file, source: readFileSync(file, 'utf8') }));
    const { checked, problems } = problemsIn(files);
    assert.deepEqual(problems, [], `suggested commands that do not exist:\n${problems.join('\n')}`);
    // The scan sees what it should: the run overrides, the sessions', conditional branches.
    for (const expected of [
      'agh run recover ${…}',
      'agh run cancel ${…}',
      'agh run retry ${…}',
      'agh run release ${…}',
      'agh task publish ${…}',
      'agh session list',
      'agh task create --agent',
    ])
      assert.ok(checked.includes(expected), `"${expected}" was not found among:\n${checked.join('\n')}`);
  });

  test('the check refuses a command, subcommand or option that does not exist', () => {
    const source = `
      throw new AppError('x', 'gone', { suggestedCommand: \`agh run explode \${id}\` });
      throw new AppError('x', 'gone', { suggestedCommand: ok ? 'agh task list' : 'agh tasks list' });
      const finding = { suggested_command: \`agh task list --colour \${c}\` };
      const bare = { suggestedCommand: 'agh scheduler' };
      throw new Error(\`task "\${id}" is stuck; see agh task explain \${id}\`);
      throw new AppError('x', 'agh keeps its identity here; another agh daemon (pid 1) runs');
      log.info('agh daemon listening on http://…');
      const other = { suggestedCommand: 'npm ci' };
    `;
    const { checked, problems } = problemsIn([{ file: join(SRC, 'example.ts'), source }]);
    assert.deepEqual(checked, [
      'agh run explode ${…}',
      'agh task list',
      'agh tasks list',
      'agh task list --colour ${…}',
      'agh scheduler',
      'agh task explain ${…}',
      'agh daemon',
    ]);
    assert.equal(problems.length, 5, problems.join('\n'));
    assert.match(
      problems[0]!,
      /^src\/example\.ts:2: suggestion "agh run explode \$\{…\}": "agh run" has no command "explode"/,
    );
    assert.match(problems[1]!, /"agh" has no command "tasks"/);
    assert.match(problems[2]!, /"agh task list" has no option --colour/);
    assert.match(problems[3]!, /"agh scheduler" is a group, not a command that runs/);
    assert.match(problems[4]!, /^src\/example\.ts:6: message .*"agh task" has no command "explain"/);
  });
});
