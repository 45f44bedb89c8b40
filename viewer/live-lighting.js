/**
 * The input scene lit live, as a game draws it without baking: its own punctual lights, or, for a scene that has
 * none, the sky and sun the run lit it by (report.json lighting.environment.light), every light casting shadow
 * maps fitted to the scene and every mesh casting and receiving them. This is the "before" that the optimized
 * scene's frame time is compared with (npm run bench:viewer): the cost of lights and shadows is what baking removes.
 */
import { Box3, Color, DirectionalLight, HemisphereLight, PCFShadowMap, Vector3 } from 'three';

/**
 * Texels per side of a shadow map: 2048 for a sun that spans the scene (three.js's default of 512 would be a blur
 * a game would not ship), three.js's 512 for point and spot lights (a point light's cube is six of them).
 */
const SUN_SHADOW_MAP = 2048,
  LOCAL_SHADOW_MAP = 512;

/**
 * Fits a light's shadow camera around the scene (a sphere at `centre` of `radius`).
 * @param {any} light
 * @param {Vector3} centre
 * @param {number} radius
 */
function fitShadow(light, centre, radius) {
  light.castShadow = true;
  const size = light.isDirectionalLight ? SUN_SHADOW_MAP : LOCAL_SHADOW_MAP;
  light.shadow.mapSize.set(size, size);
  const cam = light.shadow.camera;
  if (light.isDirectionalLight) {
    Object.assign(cam, { left: -radius, right: radius, top: radius, bottom: -radius, near: radius * 0.01 });
    cam.far = light.position.distanceTo(centre) + radius;
  } else {
    cam.near = Math.max(1e-4, radius * 1e-3);
    cam.far = light.getWorldPosition(new Vector3()).distanceTo(centre) + radius;
  }
  // A texel's world size, so that surfaces do not shadow themselves (acne) at any scene scale.
  light.shadow.normalBias = (3 * radius) / size;
  cam.updateProjectionMatrix();
}

/**
 * Lights `root` (already added to `group`) for the before view.
 * @param {import('three').WebGLRenderer} renderer
 * @param {import('three').Object3D} group where lights that are not the scene's go
 * @param {import('three').Object3D} root the loaded input scene
 * @param {{ sky: { zenith: number[], ground: number[] }, sun?: { direction: number[], color: number[] } } | undefined} environment
 * @returns {{ environment: boolean, shadows: number }}
 */
export function liveLighting(renderer, group, root, environment) {
  renderer.shadowMap.enabled = true;
  renderer.shadowMap.type = PCFShadowMap;
  root.updateMatrixWorld(true);
  const box = new Box3().setFromObject(root);
  const centre = box.getCenter(new Vector3()),
    radius = Math.max(1e-3, box.getSize(new Vector3()).length() / 2);
  /** @type {any[]} */
  const lights = [];
  root.traverse((/** @type {any} */ o) => {
    if (o.isMesh) {
      o.castShadow = true;
      o.receiveShadow = true;
    }
    if (o.isDirectionalLight || o.isSpotLight || o.isPointLight) lights.push(o);
  });
  let fromEnvironment = false;
  if (!lights.length && environment) {
    // three's hemisphere light gives irradiance colour × intensity: π × radiance is a uniform sky's.
    const [z, g] = [environment.sky.zenith, environment.sky.ground];
    group.add(new HemisphereLight(new Color(z[0], z[1], z[2]), new Color(g[0], g[1], g[2]), Math.PI));
    if (environment.sun) {
      const [r, gg, b] = environment.sun.color,
        peak = Math.max(r, gg, b, 1e-9);
      const sun = new DirectionalLight(new Color(r / peak, gg / peak, b / peak), peak);
      const d = new Vector3(...environment.sun.direction).normalize();
      sun.position.copy(centre).addScaledVector(d, -2 * radius);
      sun.target.position.copy(centre);
      group.add(sun, sun.target);
      lights.push(sun);
    }
    fromEnvironment = true;
  }
  for (const l of lights) fitShadow(l, centre, radius);
  return { environment: fromEnvironment, shadows: lights.length };
}
