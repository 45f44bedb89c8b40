/**
 * The addon's typed surface (src/native/addon-api.ts) against the loaded addon: the functions the bindings register
 * are exactly ADDON_FUNCTIONS, which the compiler ties to RawAddon's keys. A binding added or renamed without its
 * type (or a type without its binding) fails here.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addon } from '../../src/native/addon.js';
import { ADDON_FUNCTIONS } from '../../src/native/addon-api.js';

test('the addon exports exactly the functions RawAddon declares', () => {
  const raw = addon() as unknown as Record<string, unknown>;
  const exported = Object.keys(raw).sort();
  assert.equal(exported, [...ADDON_FUNCTIONS].sort());
  for (const name of exported) assert.type(raw[name], 'function', name);
});

test.run();
