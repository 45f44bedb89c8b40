/**
 * `ote`: the command-line front of the optimizer. Errors the user can act on print one line (file, glTF path,
 * what is wrong) and exit with a documented code; --debug adds the stack trace.
 */
import { isOteError } from '../errors.js';
import { UsageError } from './args.js';
import type { CommandContext } from './command.js';
import { loadAllCommands, loadCommand } from './commands/index.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';

async function help(): Promise<string> {
  const COMMANDS = await loadAllCommands();
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `${[
    'ote: scene optimizer and Trust Engine',
    '',
    'usage: ote <command> [options]    (ote <command> --help for its options)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Common options: --json (machine-readable output), --debug (stack traces on errors)',
  ].join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(await help());
    return name ? EXIT.OK : EXIT.USAGE;
  }
  const command = await loadCommand(name);
  if (!command) {
    process.stderr.write(`ote: unknown command "${name}"\n\n${await help()}`);
    return EXIT.USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`usage: ${command.usage}\n\n${command.summary}\n`);
    return EXIT.OK;
  }
  const debug = rest.includes('--debug') || process.env.OTE_DEBUG === '1';
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(EXIT.CANCELLED); // a second Ctrl-C forces the exit
    process.stderr.write('\note: cancelling…\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const ctx: CommandContext = {
    signal: controller.signal,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  };
  try {
    return await command.run(rest, ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`ote ${name}: ${e.message}\nusage: ${command.usage}\n`);
      return EXIT.USAGE;
    }
    if (isOteError(e)) {
      process.stderr.write(`ote ${name}: ${e.message}\n`);
      if (debug) process.stderr.write(`${e.stack}\n`);
      return exitCodeFor(e.code);
    }
    process.stderr.write(`ote ${name}: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    process.stderr.write(debug ? `${(e as Error)?.stack}\n` : '(run again with --debug for the stack trace)\n');
    return EXIT.INTERNAL;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
