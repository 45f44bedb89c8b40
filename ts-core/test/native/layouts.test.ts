/**
 * The TypeScript mirror of the native layouts (src/native/layouts.ts) against what the addon reports from the C++
 * declarations (native-cuda/include/ote/bake/packed.h, splat/param_layout.h): a field moved, resized, renamed or
 * added on either side fails here, naming it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addon } from '../../src/native/addon.js';
import {
  adamBlockOffset,
  adamFloats,
  PACKED_RECORDS,
  SPLAT_PARAM_GROUPS,
  splatParamFloats,
} from '../../src/native/layouts.js';

const native = addon().layouts();

test('the same packed records on both sides', () => {
  assert.equal(Object.keys(PACKED_RECORDS).sort(), Object.keys(native.records).sort());
});

for (const [name, ts] of Object.entries(PACKED_RECORDS)) {
  test(`packed record '${name}': element type, size, and every field's offset and count`, () => {
    const c = native.records[name];
    assert.is(ts.element, c.element, `${name}.element`);
    assert.is(ts.size, c.size, `${name}.size`);
    const mirror = Object.fromEntries(
      Object.keys(ts.offset).map((f) => [
        f,
        {
          offset: (ts.offset as Record<string, number>)[f],
          count: (ts.count as Record<string, number>)[f],
        },
      ]),
    );
    assert.equal(mirror, c.fields, `${name} fields (TypeScript, then C++)`);
    // Field order matters too: offsets ascend in the order both sides list them.
    assert.equal(Object.keys(mirror), Object.keys(c.fields), `${name} field order`);
  });
}

test('splat parameter groups: names, widths and order (the Adam moment blocks)', () => {
  assert.equal(
    SPLAT_PARAM_GROUPS.map((g) => ({ ...g })),
    native.splatParamGroups,
  );
});

test('Adam moment layout: blocks follow the groups in order, each count × the group width', () => {
  for (const [count, shStride] of [
    [0, 1],
    [1, 1],
    [7, 4],
    [1000, 16],
  ]) {
    let offset = 0;
    for (const g of native.splatParamGroups) {
      assert.is(
        adamBlockOffset(g.name as (typeof SPLAT_PARAM_GROUPS)[number]['name'], count, shStride),
        offset,
        `${g.name} at N=${count}`,
      );
      const w = g.perShCoefficient ? g.floats * shStride : g.floats;
      assert.is(splatParamFloats(g.name as (typeof SPLAT_PARAM_GROUPS)[number]['name'], shStride), w);
      offset += count * w;
    }
    assert.is(adamFloats(count, shStride), offset);
  }
});

test.run();
