/**
 * Every `ote` subcommand, by name, loaded when asked for. A command module pulls in what it runs (fastify and
 * BullMQ for `farm`, the optimizer for `optimize`), and all of them together took 1.5 s to import on this 2-core VM
 * (2026-12-07): the Trust Engine and each of its verifier nodes paid that at every start, and every `ote` a test or
 * a farm spawns. `ote trust` alone loads in 0.6 s. Add new commands here, in the order `ote --help` lists them.
 */
import type { Command } from '../command.js';

const COMMAND_LOADERS: ReadonlyArray<readonly [name: string, load: () => Promise<Command>]> = [
  ['start', async () => (await import('./start.js')).startCommand],
  ['optimize', async () => (await import('./optimize.js')).optimizeCommand],
  ['gen', async () => (await import('./gen.js')).genCommand],
  ['info', async () => (await import('./info.js')).infoCommand],
  ['native-info', async () => (await import('./native-info.js')).nativeInfoCommand],
  ['profiles', async () => (await import('./profiles.js')).profilesCommand],
  ['bake', async () => (await import('./bake.js')).bakeCommand],
  ['render', async () => (await import('./render.js')).renderCommand],
  ['compare', async () => (await import('./compare.js')).compareCommand],
  ['verify', async () => (await import('./verify.js')).verifyCommand],
  ['verify-cert', async () => (await import('./verify-cert.js')).verifyCertCommand],
  ['trust', async () => (await import('./trust.js')).trustCommand],
  ['farm', async () => (await import('./farm.js')).farmCommand],
  ['economy', async () => (await import('./economy.js')).economyCommand],
  ['splat', async () => (await import('./splat.js')).splatCommand],
  ['render-splat', async () => (await import('./render-splat.js')).renderSplatCommand],
  ['view', async () => (await import('./view.js')).viewCommand],
];

/** The command called `name`, loaded; undefined when there is none. */
export async function loadCommand(name: string): Promise<Command | undefined> {
  const command = await COMMAND_LOADERS.find(([n]) => n === name)?.[1]();
  if (command && command.name !== name) throw new Error(`cli/commands: "${name}" loaded command "${command.name}"`);
  return command;
}

/** Every command, loaded (for `ote --help`, which lists their summaries). */
export const loadAllCommands = (): Promise<Command[]> => Promise.all(COMMAND_LOADERS.map(([, load]) => load()));
