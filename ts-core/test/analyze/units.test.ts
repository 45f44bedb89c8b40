import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { guessSceneUnits, guessUnits, measureUnits } from '../../src/analyze/units.js';
import { importGltf } from '../../src/io/gltf-read.js';
import { sharedScenes } from '../helpers.js';
import { unitRoom, scaled } from '../bake/budget-scenes.js';

test('a metre-scale room reads as metres; ×100 as centimetres, ×1000 as millimetres', () => {
  const m = guessSceneUnits(unitRoom());
  assert.is(m.unit, 'm');
  assert.is(m.warning, undefined);
  assert.ok(m.measures.extent > 5 && m.measures.extent < 20, `extent ${m.measures.extent}`);
  assert.ok(m.measures.medianObject !== undefined && m.measures.medianEdge !== undefined);

  const cm = guessSceneUnits(scaled(unitRoom(), 100));
  assert.is(cm.unit, 'cm');
  assert.is(cm.scaleToMetres, 0.01);
  assert.match(cm.warning!, /likely centimetres/);
  assert.match(cm.warning!, /scale the scene by 0\.01/);

  const mm = guessSceneUnits(scaled(unitRoom(), 1000));
  assert.is(mm.unit, 'mm');
  assert.is(mm.scaleToMetres, 0.001);
  assert.match(mm.warning!, /likely millimetres/);
  assert.match(mm.warning!, /treats 1 unit as 1 m/);
  // Measures scale with the scene (instances and node transforms are applied).
  assert.ok(Math.abs(mm.measures.extent / m.measures.extent - 1000) < 1e-3 * 1000);
});

test('the rule: a scene over ~2 km is not metres; big low-poly metre scenes are', () => {
  // Extent alone (one object, few triangles): 2410 units is over 2× the 1 km bound.
  const far = guessUnits({ extent: 2410, objects: 1, triangles: 100 });
  assert.is.not(far.unit, 'm');
  assert.match(far.warning!, /extent 2410 units/);
  // 1.5 km: within 2× of the bound, no warning.
  assert.is(guessUnits({ extent: 1500, objects: 1, triangles: 100 }).unit, 'm');
  // A 200 m blockout level with 4 m median edges: coarse, but metres.
  assert.is(guessUnits({ extent: 200, medianEdge: 4, objects: 1, triangles: 5000 }).unit, 'm');
  // Many 90-unit props with 3.6-unit edges in a 740-unit scene (the cylinder engine's figures): not metres.
  const engine = guessUnits({ extent: 743, medianObject: 88, medianEdge: 3.6, objects: 67, triangles: 121_496 });
  assert.is.not(engine.unit, 'm');
  assert.ok(engine.alternative, 'cm and mm are both plausible: both are named');
});

test('shared scenes: no warning on the metre-scale ones, a warning on the millimetre engine', async () => {
  let scenes: { name: string; path: string }[];
  try {
    scenes = sharedScenes();
  } catch {
    return;
  }
  for (const s of scenes) {
    const { scene } = await importGltf(s.path);
    const g = guessSceneUnits(scene);
    if (s.name === 'cylinder_engine_2') {
      assert.is.not(g.unit, 'm', `${s.name}: ${JSON.stringify(g.measures)}`);
      assert.match(g.warning!, /millimetres/);
    } else assert.is(g.unit, 'm', `${s.name}: ${g.warning}`);
  }
});

test('measureUnits: every drawn object, world-space edges; medians only where they mean something', () => {
  const u = measureUnits(unitRoom());
  assert.is(u.objects, 18);
  assert.ok(u.medianEdge! > 0.04 && u.medianEdge! < 0.3, `median edge ${u.medianEdge}`);
  assert.ok(u.medianObject! > 0.4 && u.medianObject! < 2, `median object ${u.medianObject}`);
  const few = measureUnits(unitRoom({ props: 0 }), { minObjects: 10, minTriangles: 1e9 });
  assert.is(few.medianObject, undefined, 'with fewer objects than minObjects the median object is not used');
  assert.is(few.medianEdge, undefined);
});

test.run();
