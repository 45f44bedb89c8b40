/**
 * The official Khronos glTF-Validator (npm `gltf-validator`, JS compiled from Dart) run on every imported file,
 * after gltf-container.ts's own checks (which name paths in this project's style and enforce the memory budget
 * before anything is read). Its errors become one BAD_INPUT line: the file, the glTF path, the validator's code and
 * message, and how many more there are; gltf-read.ts throws it unless its own checks name the problem first. Its
 * warnings, and the errors listed in TOLERATED, become at most two import warnings with counts by code.
 *
 * Validation reads what the container already read (buffers and images are passed in, not read again) and stops
 * after MAX_ISSUES issues, so that a file with an issue per vertex costs no more than a few hundred. On the largest
 * shared scene (Sponza, 262k triangles, 65 textures, 80 MB GLB) it takes about 0.4 s, plus 0.2-0.4 s to start the
 * validator's thread once per process.
 */
import { Worker } from 'node:worker_threads';
import type { ValidationMessage } from 'gltf-validator';
import { inputError, type OteError } from '../errors.js';
import { GLB_BUFFER_KEY } from './gltf-container.js';
import type { ValidateReply, ValidateRequest } from './gltf-validate-worker.js';

/**
 * Validator errors that do not change the scene as this project reads it, and that real exporters produce:
 * reported as warnings, not fatal. Everything else the validator calls an error fails the import. The reasons:
 * - declared accessor bounds (min/max) are never read: bounds are computed from the data;
 * - normals, tangents and colours slightly off unit length or range are renormalized or clamped by every renderer;
 * - skins, joints, weights and animations are not baked: a node they move is marked dynamic and kept as authored;
 * - quaternions: gltf-structure.ts rejects rotations far from unit length and normalizes exporters' rounding, where
 *   the validator's tolerance is 1e-5;
 * - extension bookkeeping (an extension used but not declared, or declared required but unused) changes nothing
 *   that glTF-Transform reads: undeclared extensions are ignored, as by every other reader;
 * - usage and target hints on buffer views and accessors, an index equal to the primitive-restart value (read as a
 *   vertex index and range-checked in gltf-read.ts), a mismatched image MIME type (images are decoded by content),
 *   a texture bound to a missing TEXCOORD set, custom attribute names without the leading underscore;
 * - IO_ERROR: every buffer and image the scene uses was read by gltf-container.ts; the only resources the validator
 *   fails to load are meshopt fallback buffers, which need not exist.
 */
const TOLERATED = new Set([
  'ACCESSOR_MIN_MISMATCH',
  'ACCESSOR_MAX_MISMATCH',
  'ACCESSOR_ELEMENT_OUT_OF_MIN_BOUND',
  'ACCESSOR_ELEMENT_OUT_OF_MAX_BOUND',
  'MESH_PRIMITIVE_POSITION_ACCESSOR_WITHOUT_BOUNDS',
  'ACCESSOR_VECTOR3_NON_UNIT',
  'ACCESSOR_INVALID_SIGN',
  'ACCESSOR_NON_CLAMPED',
  'ACCESSOR_WEIGHTS_NEGATIVE',
  'ACCESSOR_WEIGHTS_NON_NORMALIZED',
  'ACCESSOR_JOINTS_INDEX_DUPLICATE',
  'ACCESSOR_JOINTS_INDEX_OOB',
  'ACCESSOR_INVALID_IBM',
  'INVALID_IBM_ACCESSOR_COUNT',
  'SKIN_IBM_INVALID_FORMAT',
  'SKIN_IBM_ACCESSOR_WITH_BYTESTRIDE',
  'SKIN_NO_COMMON_ROOT',
  'SKIN_SKELETON_INVALID',
  'NODE_SKIN_NO_SCENE',
  'NODE_SKIN_WITH_NON_SKINNED_MESH',
  'MESH_PRIMITIVE_JOINTS_WEIGHTS_MISMATCH',
  'ACCESSOR_ANIMATION_INPUT_NEGATIVE',
  'ACCESSOR_ANIMATION_INPUT_NON_INCREASING',
  'ACCESSOR_ANIMATION_SAMPLER_OUTPUT_NON_NORMALIZED_QUATERNION',
  'ANIMATION_CHANNEL_TARGET_NODE_MATRIX',
  'ANIMATION_CHANNEL_TARGET_NODE_WEIGHTS_NO_MORPHS',
  'ANIMATION_DUPLICATE_TARGETS',
  'ANIMATION_SAMPLER_ACCESSOR_WITH_BYTESTRIDE',
  'ANIMATION_SAMPLER_INPUT_ACCESSOR_INVALID_FORMAT',
  'ANIMATION_SAMPLER_INPUT_ACCESSOR_TOO_FEW_ELEMENTS',
  'ANIMATION_SAMPLER_INPUT_ACCESSOR_WITHOUT_BOUNDS',
  'ANIMATION_SAMPLER_OUTPUT_ACCESSOR_INVALID_COUNT',
  'ANIMATION_SAMPLER_OUTPUT_ACCESSOR_INVALID_FORMAT',
  'ROTATION_NON_UNIT',
  'UNDECLARED_EXTENSION',
  'UNUSED_EXTENSION_REQUIRED',
  'NON_REQUIRED_EXTENSION',
  'BUFFER_VIEW_TARGET_OVERRIDE',
  'ACCESSOR_USAGE_OVERRIDE',
  'ACCESSOR_INDEX_PRIMITIVE_RESTART',
  'IMAGE_MIME_TYPE_INVALID',
  'MESH_PRIMITIVE_TOO_FEW_TEXCOORDS',
  'MESH_PRIMITIVE_NO_TANGENT_SPACE',
  'MESH_PRIMITIVE_INVALID_ATTRIBUTE',
  'IO_ERROR',
]);

/**
 * Issues not worth a line: extensions the validator does not know (glTF-Transform reads them), unused objects, and
 * tangents left to the renderer (a lightmap bake does not use them; the user could do nothing about it).
 */
const IGNORED = ['UNSUPPORTED_EXTENSION', 'UNUSED_OBJECT', 'MESH_PRIMITIVE_GENERATED_TANGENT_SPACE'];

/** Issues the validator reports before it stops: bounds the time and memory a pathological file costs. */
const MAX_ISSUES = 300;

// ---------------------------------------------------------------------------------------------------------------
// The validator runs in a worker thread (gltf-validate-worker.ts), started on first use and kept for the next file:
// a crash of the validator ends the thread, not the process, and a validation over its time is stopped. The thread
// holds the process open only while a validation is pending.

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve: (r: ValidateReply) => void; reject: (e: Error) => void }>();

function startWorker(): Worker {
  // Not the process's node flags: `node --input-type=module -e` would stop the thread from starting.
  const w = new Worker(new URL('./gltf-validate-worker.js', import.meta.url), { execArgv: [] });
  const fail = (e: Error) => {
    if (worker === w) worker = undefined;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  w.on('message', (r: ValidateReply) => {
    pending.get(r.id)?.resolve(r);
    pending.delete(r.id);
    if (!pending.size) w.unref();
  });
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`the validator's thread exited (code ${code})`)));
  return w;
}

async function runValidator(request: Omit<ValidateRequest, 'id'>, timeoutMs: number): Promise<ValidateReply> {
  worker ??= startWorker();
  const w = worker;
  const id = nextId++;
  w.ref();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<ValidateReply>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      timer = setTimeout(() => {
        reject(new Error(`it did not finish in ${(timeoutMs / 1000).toFixed(0)} s`));
        pending.delete(id);
        if (worker === w) worker = undefined;
        void w.terminate();
      }, timeoutMs);
      // Copies, transferred: a structured clone of an 80 MB array costs 0.5 s, a copy and a transfer 20 ms.
      const bytes = request.bytes.slice();
      const resources = Object.fromEntries(Object.entries(request.resources).map(([uri, r]) => [uri, r.slice()]));
      w.postMessage({ id, ...request, bytes, resources }, [
        bytes.buffer,
        ...Object.values(resources).map((r) => r.buffer),
      ]);
    });
  } finally {
    clearTimeout(timer);
  }
}

/** 10 s, plus 1 s per 10 MB: Sponza's 80 MB take 0.4 s, so only a validator stuck on a file reaches it. */
const timeoutFor = (bytes: number) => 10_000 + bytes / 10_000;

/** `/meshes/0/primitives/1/indices` as this project's paths read: `meshes[0].primitives[1].indices`. */
export function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, s) => (/^\d+$/.test(s) ? `${path}[${s}]` : path ? `${path}.${s}` : s), '');
}

function where(m: ValidationMessage): string | undefined {
  if (m.pointer) return pointerToPath(m.pointer) || undefined;
  return m.offset !== undefined ? `byte ${m.offset}` : undefined;
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** `CODE ×3, OTHER ×1`, most frequent first, at most `max` codes. */
function countsByCode(messages: ValidationMessage[], max = 4): string {
  const counts = new Map<string, number>();
  for (const m of messages) counts.set(m.code, (counts.get(m.code) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[1] - a[1]);
  const shown = sorted
    .slice(0, max)
    .map(([c, n]) => `${c} ×${n}`)
    .join(', ');
  return sorted.length > max ? `${shown}, … ${sorted.length - max} more codes` : shown;
}

export interface Validation {
  /** BAD_INPUT for the first error that is not TOLERATED, naming how many more there are. */
  error?: OteError;
  /** At most two lines, counts by code: tolerated errors, and warnings. */
  warnings: string[];
}

/** Validate the file's bytes; `resources` are its buffers and images by URI, as gltf-container.ts read them. */
export async function validateGltf(
  file: string,
  bytes: Uint8Array,
  format: 'glb' | 'gltf',
  resources: Record<string, Uint8Array>,
): Promise<Validation> {
  // The GLB's own binary chunk is in `bytes`; only external buffers and images are passed.
  const external = Object.fromEntries(Object.entries(resources).filter(([uri]) => uri !== GLB_BUFFER_KEY));
  let reply: ValidateReply;
  try {
    reply = await runValidator(
      {
        bytes,
        resources: external,
        options: { uri: file, format, maxIssues: MAX_ISSUES, writeTimestamp: false, ignoredIssues: IGNORED },
      },
      timeoutFor(bytes.byteLength + Object.values(external).reduce((n, r) => n + r.byteLength, 0)),
    );
  } catch (e) {
    reply = { id: -1, failed: (e as Error).message };
  }
  // The validator crashed, stopped, or could not start: that is no verdict on the file, whose own checks still run.
  // (A corrupt PNG inside a GLB is what has crashed it so far; the import reads only the PNG's header.)
  if ('failed' in reply)
    return { warnings: [`glTF validator could not check the file: ${reply.failed.split('\n')[0]}`] };
  const messages = reply.issues.messages;
  const errors = messages.filter((m) => m.severity === 0 && !TOLERATED.has(m.code));
  const more = reply.issues.truncated ? `; validation stopped after ${MAX_ISSUES} issues` : '';
  let error: OteError | undefined;
  if (errors.length) {
    const [first] = errors;
    const rest = errors.length > 1 ? ` (and ${plural(errors.length - 1, 'more error')}${more})` : '';
    error = inputError(file, where(first), `${first.code}: ${first.message}${rest} [glTF-Validator]`);
  }
  const warnings: string[] = [];
  const tolerated = messages.filter((m) => m.severity === 0);
  if (tolerated.length)
    warnings.push(
      `glTF validator: ${plural(tolerated.length, 'tolerated error')} (${countsByCode(tolerated)}), none changes the scene as read${more}`,
    );
  const warned = messages.filter((m) => m.severity === 1);
  if (warned.length)
    warnings.push(`glTF validator: ${plural(warned.length, 'warning')} (${countsByCode(warned)})${more}`);
  return { error, warnings };
}
