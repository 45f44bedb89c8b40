/**
 * The command line the editor plugins run: `ote optimize` here, or `ote farm submit --wait` on the farm OTE_FARM_URL
 * names, with the same outputs and JSON lines; and the quoting that carries paths with spaces and quotes through
 * CreateProc and ProcessStartInfo (checked by splitting it back with the same rule).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commandLine, optimizeCommandArgs } from '../../src/adapters/ote-command.js';

/** The Windows/.NET rule that splits a command line into arguments (CommandLineToArgvW, without its quirks). */
function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ') i++;
    if (i >= line.length) break;
    let arg = '';
    let quoted = false;
    for (; i < line.length && (quoted || line[i] !== ' '); i++) {
      let n = 0;
      while (line[i] === '\\') {
        n++;
        i++;
      }
      if (line[i] === '"') {
        arg += '\\'.repeat(n >> 1);
        if (n % 2) arg += '"';
        else quoted = !quoted;
      } else {
        arg += '\\'.repeat(n);
        if (i < line.length && (quoted || line[i] !== ' ')) arg += line[i];
        else i--;
      }
    }
    out.push(arg);
  }
  return out;
}

test('here: ote optimize with the JSON lines the plugins read', () => {
  assert.equal(optimizeCommandArgs({ input: 'Saved/level.glb', outDir: 'Saved/out', profile: '' }), [
    'optimize',
    'Saved/level.glb',
    '-o',
    'Saved/out',
    '--profile',
    'balanced',
    '--json',
  ]);
});

test('on a farm: ote farm submit --wait into the same folder, the key left to the environment', () => {
  const args = optimizeCommandArgs({
    input: 'level.glb',
    outDir: 'out',
    profile: 'gaming',
    farmUrl: ' http://farm.studio:8790 ',
  });
  assert.equal(args, [
    'farm',
    'submit',
    'level.glb',
    '--server',
    'http://farm.studio:8790',
    '--wait',
    '-o',
    'out',
    '--profile',
    'gaming',
    '--json',
  ]);
  assert.not.ok(args.some((a) => a.includes('api-key')));
  assert.throws(
    () => optimizeCommandArgs({ input: 'a', outDir: 'b', profile: 'balanced', farmUrl: 'farm:8790' }),
    /OTE_FARM_URL "farm:8790" is not an http/,
  );
});

test('a command line carries spaces, quotes and backslashes through intact', () => {
  const args = [
    'C:\\Program Files\\ote\\ote.js',
    'optimize',
    'D:\\My Levels\\level "final".glb',
    'C:\\out dir\\',
    'plain',
    '',
    'a\\\\"b',
  ];
  const line = commandLine(args);
  assert.equal(splitCommandLine(line), args);
  assert.is(commandLine(['plain', 'x.glb']), 'plain x.glb');
});

test.run();
