/** Every `ote` subcommand. Add new ones here. */
import type { Command } from '../command.js';
import { compareCommand } from './compare.js';
import { economyCommand } from './economy.js';
import { farmCommand } from './farm.js';
import { bakeCommand } from './bake.js';
import { genCommand } from './gen.js';
import { infoCommand } from './info.js';
import { nativeInfoCommand } from './native-info.js';
import { optimizeCommand } from './optimize.js';
import { profilesCommand } from './profiles.js';
import { renderCommand } from './render.js';
import { renderSplatCommand } from './render-splat.js';
import { splatCommand } from './splat.js';
import { startCommand } from './start.js';
import { trustCommand } from './trust.js';
import { verifyCertCommand } from './verify-cert.js';
import { verifyCommand } from './verify.js';
import { viewCommand } from './view.js';

export const COMMANDS: Command[] = [
  startCommand,
  optimizeCommand,
  genCommand,
  infoCommand,
  nativeInfoCommand,
  profilesCommand,
  bakeCommand,
  renderCommand,
  compareCommand,
  verifyCommand,
  verifyCertCommand,
  trustCommand,
  farmCommand,
  economyCommand,
  splatCommand,
  renderSplatCommand,
  viewCommand,
];
