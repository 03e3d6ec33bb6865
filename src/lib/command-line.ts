// Turning a command string from AGENT.md or config.toml into argv. Quotes group words as in a
// shell, but nothing is expanded or interpreted: a pipe, a redirect or a glob in an agent command
// is a mistake to report, not something to run through a shell.
import { parse } from 'shell-quote';

export function splitCommand(command: string): { argv: string[] } | { error: string } {
  // Variables are kept literally: the agent sees exactly the words that were written.
  const words = parse(command, (name) => `$${name}`);
  const argv: string[] = [];
  for (const word of words) {
    if (typeof word === 'string') {
      argv.push(word);
      continue;
    }
    if ('comment' in word) break;
    const op = 'op' in word ? (word.op === 'glob' ? (word as { pattern: string }).pattern : word.op) : '?';
    return {
      error: `"${op}" in the command "${command}" would need a shell; give a plain program and its arguments (wrap a pipeline in a script)`,
    };
  }
  if (argv.length === 0 || argv[0] === '') return { error: 'the command is empty' };
  return { argv };
}
