/**
 * A hybrid's splats laid over its meshes as `ote` judges them (ts-core/src/render/hybrid.ts) and as engines
 * composite a splat layer (Unity's Gaussian splat renderer decodes its sRGB splat layer and blends it over the HDR
 * scene): the meshes go into a linear half-float target, the splats into a second one over transparent black,
 * depth-tested against the meshes' depth (one shared depth texture), as the display values they were trained as;
 * then one pass decodes the layer through the inverse of our display curve at the run's exposure, lays it over the
 * meshes' radiance (splat + (1 − α)·mesh) and shows the sum through the curve at the viewing exposure. Drawn
 * straight onto the sRGB canvas, as three.js and Spark would by default, a leaf that half covers a pixel over a
 * bright ground shows darker than the path tracer's mix of the two.
 *
 * Spark writes each splat's colour decoded to linear when it draws into a target of linear colour (its
 * `encodeLinear`, read from three's working colour space); the layer must hold display values, blended as trained,
 * so the working colour space reads as sRGB while Spark draws. The targets take no multisampling, so mesh edges
 * are not antialiased in this path.
 */
import {
  Color,
  ColorManagement,
  DepthTexture,
  HalfFloatType,
  Mesh,
  OrthographicCamera,
  PlaneGeometry,
  Scene,
  ShaderMaterial,
  SRGBColorSpace,
  Vector2,
  WebGLRenderTarget,
} from 'three';

const COMPOSITE_GLSL = /* glsl */ `
uniform sampler2D meshes;
uniform sampler2D layer;
uniform float runScale;   // 2^(the run's exposure): the splats' display values are at it
uniform float viewScale;  // 2^(the viewing exposure)
varying vec2 vUv;

float srgbDecode(float c) { return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4); }
float srgbEncode(float c) { return c <= 0.0031308 ? 12.92 * c : 1.055 * pow(c, 1.0 / 2.4) - 0.055; }
float aces(float x) { return clamp((x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14), 0.0, 1.0); }
// The positive root of (2.43y − 2.51)x² + (0.59y − 0.03)x + 0.14y (ts-core/src/image/float-image.ts acesInverse).
float acesInverse(float y) {
  float t = clamp(y, 0.0, 1.0);
  float a = 2.43 * t - 2.51, b = 0.59 * t - 0.03, c = 0.14 * t;
  float s = sqrt(max(0.0, b * b - 4.0 * a * c));
  return b > 0.0 ? (b + s) / (-2.0 * a) : (2.0 * c) / max(s - b, 1e-12);
}

void main() {
  vec4 m = texture2D(meshes, vUv);
  vec4 s = texture2D(layer, vUv);
  vec3 hdr;
  for (int i = 0; i < 3; i++)
    hdr[i] = acesInverse(srgbDecode(clamp(s[i], 0.0, 1.0))) / runScale + (1.0 - s.a) * m[i];
  gl_FragColor = vec4(srgbEncode(aces(hdr.r * viewScale)), srgbEncode(aces(hdr.g * viewScale)),
    srgbEncode(aces(hdr.b * viewScale)), 1.0);
}`;

/**
 * @param {import('three').WebGLRenderer} renderer
 * @param {{ meshes: import('three').Object3D, splats: import('three').Object3D[], exposure: number }} parts
 *   `meshes`: the glTF's root; `splats`: Spark's renderer and splat mesh; `exposure`: the run's (report.json
 *   `views.exposure`), at which the splat colours are display values.
 */
export function splatCompositor(renderer, parts) {
  const depth = new DepthTexture(1, 1);
  const linear = () => new WebGLRenderTarget(1, 1, { type: HalfFloatType, depthBuffer: true });
  const meshTarget = linear(),
    layerTarget = linear();
  meshTarget.depthTexture = depth;
  layerTarget.depthTexture = depth;
  const material = new ShaderMaterial({
    uniforms: {
      meshes: { value: meshTarget.texture },
      layer: { value: layerTarget.texture },
      runScale: { value: 2 ** parts.exposure },
      viewScale: { value: 1 },
    },
    vertexShader: 'varying vec2 vUv; void main() { vUv = uv; gl_Position = vec4(position.xy, 0.0, 1.0); }',
    fragmentShader: COMPOSITE_GLSL,
    depthTest: false,
    depthWrite: false,
    toneMapped: false,
  });
  const quad = new Scene().add(new Mesh(new PlaneGeometry(2, 2), material));
  const quadCamera = new OrthographicCamera(-1, 1, 1, -1, 0, 1);
  const size = new Vector2();
  const clearColour = new Color();
  /** Visibility of `objects` set to `on` for the duration of `draw`, then restored. */
  const showing = (
    /** @type {import('three').Object3D[]} */ objects,
    /** @type {boolean} */ on,
    /** @type {() => void} */ draw,
  ) => {
    const was = objects.map((o) => o.visible);
    for (const o of objects) o.visible = on;
    try {
      draw();
    } finally {
      objects.forEach((o, i) => {
        o.visible = was[i];
      });
    }
  };
  return {
    /**
     * One frame of `scene` through `camera` onto the canvas (its scissor, if set, is kept for the final pass).
     * @param {import('three').Scene} scene
     * @param {import('three').Camera} camera
     */
    render(scene, camera) {
      renderer.getDrawingBufferSize(size);
      if (meshTarget.width !== size.x || meshTarget.height !== size.y) {
        meshTarget.setSize(size.x, size.y);
        layerTarget.setSize(size.x, size.y);
      }
      const scissorTest = renderer.getScissorTest();
      const autoClear = renderer.autoClear;
      const clearAlpha = renderer.getClearAlpha();
      renderer.getClearColor(clearColour);
      renderer.setScissorTest(false);
      // Both layers start as transparent black: the composite reads "nothing here" from alpha 0.
      renderer.setClearColor(0x000000, 0);
      try {
        // The meshes in linear light (three tone-maps only what it draws onto the canvas), with their depth.
        showing(parts.splats, false, () => {
          renderer.setRenderTarget(meshTarget);
          renderer.render(scene, camera);
        });
        // The splats over transparent black behind the meshes' depth, as display values.
        renderer.setRenderTarget(layerTarget);
        renderer.clear(true, false, false);
        renderer.autoClear = false;
        const working = ColorManagement.workingColorSpace;
        ColorManagement.workingColorSpace = SRGBColorSpace;
        try {
          showing([parts.meshes], false, () => renderer.render(scene, camera));
        } finally {
          ColorManagement.workingColorSpace = working;
        }
      } finally {
        renderer.autoClear = autoClear;
        renderer.setClearColor(clearColour, clearAlpha);
        renderer.setRenderTarget(null);
        renderer.setScissorTest(scissorTest);
      }
      material.uniforms.viewScale.value = renderer.toneMappingExposure;
      renderer.render(quad, quadCamera);
    },
    dispose() {
      meshTarget.dispose();
      layerTarget.dispose();
      depth.dispose();
      material.dispose();
    },
  };
}
