// The agh command line. Thin: parse arguments, call the daemon through the typed client, print.
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

// `agh workspace list | head` closes the pipe early; that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const program = new Command('agh')
  .description('AGH: a local-first, durable runtime for AI-agent work')
  .version(VERSION)
  // Checked while parsing, so a typo in -o never comes after a change was already made.
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
  .showHelpAfterError()
  .exitOverride();

registerDaemonCommands(program);
registerWorkspaceCommands(program);
registerSessionCommands(program);
registerTaskCommands(program);
registerSchedulerCommands(program);

try {
  await program.parseAsync(process.argv);
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
