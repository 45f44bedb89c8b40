/**
 * The types of a glTF's JSON, checked before any other code reads it: every array is an array, every object an
 * object, every index a non-negative integer, every enum one of its values, and the fields the readers need are
 * present. Without this a `null` accessor or a `meshes` that is an object surfaces as "Cannot read properties of
 * null" from gltf-container.ts, gltf-structure.ts or deep inside glTF-Transform. Only the types are checked here;
 * whether an index exists and whether a value is in range is gltf-structure.ts's job.
 *
 * Shapes cover the core glTF 2.0 schema and the extensions that this project or glTF-Transform read and that the
 * Khronos validator (gltf-validate.ts) does not know. Unlisted fields are free, as glTF allows.
 */
import { inputError } from '../errors.js';

type Spec =
  | { kind: 'any' | 'string' | 'boolean' | 'number' | 'uint' }
  | { kind: 'enum'; values: readonly (string | number)[] }
  | { kind: 'array'; of: Spec }
  | { kind: 'dict'; of: Spec }
  | { kind: 'object'; fields: Record<string, Spec>; required: readonly string[]; match?: [RegExp, Spec][] };

const any: Spec = { kind: 'any' },
  str: Spec = { kind: 'string' },
  bool: Spec = { kind: 'boolean' },
  num: Spec = { kind: 'number' };
/** An index or a count: a non-negative safe integer. */
const uint: Spec = { kind: 'uint' };
const oneOf = (...values: (string | number)[]): Spec => ({ kind: 'enum', values });
const arr = (of: Spec): Spec => ({ kind: 'array', of });
const dict = (of: Spec): Spec => ({ kind: 'dict', of });
/** Every glTF object may carry `extensions` (an object of objects) and `extras` (anything). */
const obj = (fields: Record<string, Spec>, required: readonly string[] = [], match?: [RegExp, Spec][]): Spec => ({
  kind: 'object',
  fields: { extensions: dict({ kind: 'object', fields: {}, required: [] }), extras: any, ...fields },
  required,
  match,
});
/** An object whose `extensions` have known shapes (the rest stay free objects). */
const withExt = (spec: Spec, ext: Record<string, Spec>): Spec => {
  if (spec.kind !== 'object') throw new Error('withExt needs an object spec');
  const free = { kind: 'object', fields: {}, required: [] } as Spec;
  return {
    ...spec,
    fields: { ...spec.fields, extensions: { kind: 'object', fields: ext, required: [], match: [[/^/, free]] } },
  };
};

const textureTransform = obj({ offset: arr(num), rotation: num, scale: arr(num), texCoord: uint });
const textureInfo = (extra: Record<string, Spec> = {}) =>
  withExt(obj({ index: uint, texCoord: uint, ...extra }, ['index']), { KHR_texture_transform: textureTransform });
/** Material extensions (KHR_materials_*): their `...Texture` fields are texture infos. */
const materialExtension = obj({}, [], [[/Texture$/, textureInfo({ scale: num, strength: num })]]);
const name = str;

const SHAPE: Spec = withExt(
  obj(
    {
      asset: obj({ version: str, minVersion: str, generator: str, copyright: str }, ['version']),
      extensionsUsed: arr(str),
      extensionsRequired: arr(str),
      scene: uint,
      scenes: arr(obj({ name, nodes: arr(uint) })),
      nodes: arr(
        withExt(
          obj({
            name,
            camera: uint,
            children: arr(uint),
            skin: uint,
            mesh: uint,
            matrix: arr(any),
            rotation: arr(any),
            scale: arr(any),
            translation: arr(any),
            weights: arr(num), // numbers: checkVector
          }),
          {
            KHR_lights_punctual: obj({ light: uint }, ['light']),
            EXT_mesh_gpu_instancing: obj({ attributes: dict(uint) }, ['attributes']),
          },
        ),
      ),
      meshes: arr(
        obj(
          {
            name,
            weights: arr(num),
            primitives: arr(
              withExt(
                obj(
                  {
                    attributes: dict(uint),
                    indices: uint,
                    material: uint,
                    mode: oneOf(0, 1, 2, 3, 4, 5, 6),
                    targets: arr(dict(uint)),
                  },
                  ['attributes'],
                ),
                {
                  KHR_draco_mesh_compression: obj({ bufferView: uint, attributes: dict(uint) }, [
                    'bufferView',
                    'attributes',
                  ]),
                },
              ),
            ),
          },
          ['primitives'],
        ),
      ),
      accessors: arr(
        obj(
          {
            name,
            bufferView: uint,
            byteOffset: uint,
            normalized: bool,
            count: uint,
            max: arr(num),
            min: arr(num),
            componentType: oneOf(5120, 5121, 5122, 5123, 5125, 5126),
            type: oneOf('SCALAR', 'VEC2', 'VEC3', 'VEC4', 'MAT2', 'MAT3', 'MAT4'),
            sparse: obj(
              {
                count: uint,
                indices: obj({ bufferView: uint, byteOffset: uint, componentType: oneOf(5121, 5123, 5125) }, [
                  'bufferView',
                  'componentType',
                ]),
                values: obj({ bufferView: uint, byteOffset: uint }, ['bufferView']),
              },
              ['count', 'indices', 'values'],
            ),
          },
          ['componentType', 'count', 'type'],
        ),
      ),
      bufferViews: arr(
        withExt(
          obj({ name, buffer: uint, byteOffset: uint, byteLength: uint, byteStride: uint, target: uint }, [
            'buffer',
            'byteLength',
          ]),
          {
            EXT_meshopt_compression: obj(
              {
                buffer: uint,
                byteOffset: uint,
                byteLength: uint,
                byteStride: uint,
                count: uint,
                mode: str,
                filter: str,
              },
              ['buffer', 'byteLength', 'byteStride', 'count', 'mode'],
            ),
            KHR_meshopt_compression: obj(
              {
                buffer: uint,
                byteOffset: uint,
                byteLength: uint,
                byteStride: uint,
                count: uint,
                mode: str,
                filter: str,
              },
              ['buffer', 'byteLength', 'byteStride', 'count', 'mode'],
            ),
          },
        ),
      ),
      buffers: arr(
        withExt(obj({ name, uri: str, byteLength: uint }, ['byteLength']), {
          EXT_meshopt_compression: obj({ fallback: bool }),
          KHR_meshopt_compression: obj({ fallback: bool }),
        }),
      ),
      images: arr(obj({ name, uri: str, mimeType: str, bufferView: uint })),
      samplers: arr(obj({ name, magFilter: uint, minFilter: uint, wrapS: uint, wrapT: uint })),
      textures: arr(
        withExt(obj({ name, sampler: uint, source: uint }), {
          EXT_texture_webp: obj({ source: uint }),
          KHR_texture_basisu: obj({ source: uint }),
          EXT_texture_avif: obj({ source: uint }),
        }),
      ),
      materials: arr(
        obj({
          name,
          alphaMode: oneOf('OPAQUE', 'MASK', 'BLEND'),
          alphaCutoff: any,
          doubleSided: bool,
          emissiveFactor: any, // numbers: checkValues
          pbrMetallicRoughness: obj({
            baseColorFactor: any,
            metallicFactor: any,
            roughnessFactor: any,
            baseColorTexture: textureInfo(),
            metallicRoughnessTexture: textureInfo(),
          }),
          normalTexture: textureInfo({ scale: num }),
          occlusionTexture: textureInfo({ strength: num }),
          emissiveTexture: textureInfo(),
          extensions: {
            kind: 'object',
            fields: { MOZ_lightmap: textureInfo({ intensity: num }) },
            required: [],
            match: [[/^/, materialExtension]],
          },
        }),
      ),
      cameras: arr(
        obj(
          {
            name,
            type: str,
            perspective: obj({ aspectRatio: any, yfov: any, zfar: any, znear: any }), // numbers: checkValues
            orthographic: obj({ xmag: any, ymag: any, zfar: any, znear: any }),
          },
          ['type'],
        ),
      ),
      skins: arr(obj({ name, inverseBindMatrices: uint, skeleton: uint, joints: arr(uint) }, ['joints'])),
      animations: arr(
        obj(
          {
            name,
            channels: arr(
              obj({ sampler: uint, target: obj({ node: uint, path: str }, ['path']) }, ['sampler', 'target']),
            ),
            samplers: arr(obj({ input: uint, output: uint, interpolation: str }, ['input', 'output'])),
          },
          ['channels', 'samplers'],
        ),
      ),
    },
    ['asset'],
  ),
  {
    KHR_lights_punctual: obj(
      {
        lights: arr(
          obj({
            name,
            type: any,
            color: any,
            intensity: any,
            range: any,
            spot: obj({ innerConeAngle: any, outerConeAngle: any }),
          }),
        ), // values: checkLight
      },
      ['lights'],
    ),
  },
);

const A: Record<Spec['kind'], string> = {
  any: 'anything',
  string: 'a string',
  boolean: 'true or false',
  number: 'a number',
  uint: 'a non-negative integer',
  enum: '',
  array: 'an array',
  dict: 'an object',
  object: 'an object',
};

/** A value as an error message shows it: short, and saying what kind of thing it is. */
export function shown(v: unknown): string {
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v && typeof v === 'object') return 'an object';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function check(file: string, path: string, v: unknown, spec: Spec): void {
  const fail = (what: string) => inputError(file, path, `must be ${what}, got ${shown(v)}`);
  switch (spec.kind) {
    case 'any':
      return;
    case 'string':
    case 'boolean':
      if (typeof v !== spec.kind) throw fail(A[spec.kind]);
      return;
    case 'number':
      if (typeof v !== 'number') throw fail(A.number);
      return;
    case 'uint':
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw fail(A.uint);
      return;
    case 'enum':
      if (!spec.values.includes(v as string | number)) throw fail(`one of ${spec.values.join(', ')}`);
      return;
    case 'array':
      if (!Array.isArray(v)) throw fail(A.array);
      for (let i = 0; i < v.length; i++) check(file, `${path}[${i}]`, v[i], spec.of);
      return;
    default: {
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw fail(A.object);
      const o = v as Record<string, unknown>,
        at = (k: string) => (path ? `${path}.${k}` : k);
      if (spec.kind === 'dict') {
        for (const k of Object.keys(o)) check(file, at(k), o[k], spec.of);
        return;
      }
      for (const k of spec.required)
        if (o[k] === undefined) throw inputError(file, at(k), 'missing (required by glTF 2.0)');
      for (const k of Object.keys(o)) {
        const s = Object.hasOwn(spec.fields, k) ? spec.fields[k] : spec.match?.find(([re]) => re.test(k))?.[1];
        if (s && o[k] !== undefined) check(file, at(k), o[k], s);
      }
    }
  }
}

/** Throws BAD_INPUT naming the file and the first field whose type is wrong, e.g. `accessors[2]: must be an object, got null`. */
export function checkGltfShape(file: string, json: unknown): void {
  check(file, '', json, SHAPE);
}
