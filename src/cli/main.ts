// The agh command line. Thin: parse arguments, call the daemon through the typed client, print.
// Run as a program (bin/agh) it parses process.argv; imported, it only exports buildProgram.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command as CommandType } from 'commander';
import { assertSupportedNode } from '../lib/node-version.ts';

assertSupportedNode();

const { Command, CommanderError, Option } = await import('commander');
const { VERSION } = await import('../lib/version.ts');
const { CliError } = await import('./errors.ts');
const { registerDaemonCommands } = await import('./daemon.ts');
const { registerWorkspaceCommands } = await import('./workspace.ts');
const { registerSessionCommands } = await import('./session.ts');
const { registerTaskCommands } = await import('./task.ts');
const { registerSchedulerCommands } = await import('./scheduler.ts');
const { registerRunCommands } = await import('./run.ts');

/** The agh program with every command, not yet parsed (tests walk its command tree). */
export function buildProgram(): CommandType {
  const program = new Command('agh')
    .description('AGH: a local-first, durable runtime for AI-agent work')
    .version(VERSION)
    // Checked while parsing, so a typo in -o never comes after a change was already made.
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'),
    )
    .showHelpAfterError()
    .exitOverride();

  registerDaemonCommands(program);
  registerWorkspaceCommands(program);
  registerSessionCommands(program);
  registerTaskCommands(program);
  registerSchedulerCommands(program);
  registerRunCommands(program);
  return program;
}

async function runCli(argv: string[]): Promise<void> {
  // `agh workspace list | head` closes the pipe early; that is the reader's choice, not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }

  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
    } else if (err instanceof CliError) {
      process.stderr.write(`error: ${err.message}\n`);
      if (err.hint) process.stderr.write(`${err.hint}\n`);
      process.exitCode = err.exitCode;
    } else {
      process.stderr.write(`error: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  }
}

/** True when Node was started on this file (bin/agh, npm start), not when it is imported. */
function invokedDirectly(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) await runCli(process.argv);
