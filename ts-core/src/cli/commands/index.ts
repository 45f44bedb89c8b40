/** Every `ote` subcommand. Add new ones here. */
import type { Command } from '../command.js';
import { genCommand } from './gen.js';
import { infoCommand } from './info.js';
import { nativeInfoCommand } from './native-info.js';
import { renderCommand } from './render.js';
import { renderSplatCommand } from './render-splat.js';
import { splatCommand } from './splat.js';
import { startCommand } from './start.js';

export const COMMANDS: Command[] = [
  startCommand,
  genCommand,
  infoCommand,
  nativeInfoCommand,
  renderCommand,
  splatCommand,
  renderSplatCommand,
];
