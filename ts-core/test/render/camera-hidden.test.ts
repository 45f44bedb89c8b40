import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MeshBuilder } from '../../../examples/generators/shapes.js';
import type { FloatImage } from '../../src/image/float-image.js';
import { splatTargetScene } from '../../src/optimize/filter-primitives.js';
import { renderPathtraced } from '../../src/render/pathtrace.js';
import { addMaterial, addMesh, addNode } from '../../src/scene/build.js';
import { createScene, defaultMaterial, type Scene } from '../../src/scene/types.js';
import { frontView } from './front-view.js';

// Lighting-only geometry (the splat stage's training targets): camera rays pass through it, light does not. One
// node with two primitives, seen from z = 5 with the sun shining down -z from behind the camera:
//   leaf   0.8 m quad at z = 0, centred: the primitive routed to splats;
//   shade  1.2 m quad at z = 1 over x in [0, 1.2]: the node's other primitive, in front of the leaf's right half
//          and shadowing it.
const W = 128,
  H = 64,
  TH = 0.25; // tan(yfov / 2); aspect 2: x in [-2.5, 2.5] at z = 0
const { view, pixelOf } = frontView(W, H, TH);
const at = (img: FloatImage, x: number, y: number) => {
  const [px, py] = pixelOf(x, y),
    i = 4 * (py * W + px);
  return { luma: (img.data[i] + img.data[i + 1] + img.data[i + 2]) / 3, alpha: img.data[i + 3] };
};

function hybridScene(): Scene {
  const s = createScene('camera-hidden');
  const grey = addMaterial(s, {
    ...defaultMaterial('grey'),
    metallicFactor: 0,
    baseColorFactor: [0.8, 0.8, 0.8, 1],
    doubleSided: true,
  });
  const leaf = new MeshBuilder(),
    shade = new MeshBuilder();
  leaf.quad([-0.4, -0.4, 0], [0.8, 0, 0], [0, 0.8, 0]);
  shade.quad([0, -0.6, 1], [1.2, 0, 0], [0, 1.2, 0]);
  addNode(s, { name: 'plant', mesh: addMesh(s, 'plant', [leaf.build(grey), shade.build(grey)]) });
  s.lights.push({
    name: 'sun',
    type: 'directional',
    color: [1, 1, 1],
    intensity: 3,
    innerConeAngle: 0,
    outerConeAngle: Math.PI / 4,
  });
  addNode(s, { name: 'sun', light: 0 }); // glTF lights shine down their -z
  return s;
}

const render = (scene: Scene, cameraHidden?: number[]) =>
  renderPathtraced(scene, view, { spp: 16, bounces: 2, seed: 3, cameraHidden });

test('splatTargetScene: a node split between routes keeps its other primitives, hidden, and a child draws the splat ones', () => {
  const scene = hybridScene();
  const { scene: t, cameraHidden } = splatTargetScene(scene, (n) => (n === 0 ? [0] : []));
  assert.equal(cameraHidden, [0]);
  assert.is(t.nodes.length, scene.nodes.length + 1);
  const child = t.nodes[scene.nodes.length];
  assert.is(child.parent, 0);
  assert.ok(t.nodes[0].children.includes(scene.nodes.length));
  assert.is(t.meshes[child.mesh!].primitives[0], scene.meshes[0].primitives[0]);
  assert.equal(t.meshes[t.nodes[0].mesh!].primitives, [scene.meshes[0].primitives[1]]);
  // The input is untouched.
  assert.is(scene.nodes[0].mesh, 0);
  assert.equal(scene.nodes[0].children, []);
  // A node wholly routed to splats is drawn as it is; one not routed is hidden.
  assert.equal(splatTargetScene(scene, () => [0, 1]).cameraHidden, []);
  assert.equal(splatTargetScene(scene, () => []).cameraHidden, [0]);
});

test('renderPathtraced: camera rays pass lighting-only nodes, which still cast their shadows', async () => {
  const scene = hybridScene();
  const { scene: t, cameraHidden } = splatTargetScene(scene, (n) => (n === 0 ? [0] : []));
  const hidden = await render(t, cameraHidden),
    plain = await render(t);
  const lit = at(hidden, -0.2, 0),
    shadowed = at(hidden, 0.2, 0),
    shadeOnly = at(hidden, 0.8, 0);
  assert.ok(lit.alpha > 0.99 && lit.luma > 0.1, `the leaf's sunlit half is seen: ${JSON.stringify(lit)}`);
  // Behind the hidden shade the leaf is seen (the splats learn its coverage) and dark (they learn its shadow).
  assert.ok(shadowed.alpha > 0.99, `the leaf is seen through the shade: alpha ${shadowed.alpha}`);
  assert.ok(shadowed.luma < 0.2 * lit.luma, `the shade's shadow: ${shadowed.luma} against ${lit.luma} in the sun`);
  assert.ok(shadeOnly.alpha < 0.01, `where only the shade is, nothing is seen: alpha ${shadeOnly.alpha}`);
  // Drawn, the sunlit shade covers the leaf's right half (so the check above would fail without hiding).
  const front = at(plain, 0.2, 0);
  assert.ok(front.alpha > 0.99 && front.luma > 0.5 * lit.luma, `the shade drawn: ${JSON.stringify(front)}`);
  // Hidden or drawn, the leaf's sunlit half is lit the same: hiding changes what the camera sees, not the light.
  assert.ok(Math.abs(at(plain, -0.2, 0).luma - lit.luma) < 1e-6);
});

test.run();
