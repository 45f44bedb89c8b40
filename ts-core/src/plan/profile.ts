/**
 * Profiles: how an optimization trades quality for time and cost. Seven built-ins ship as data files beside this
 * module; a technical director's file extends one of them. Every profile is validated against profile.schema.json
 * and errors name the file and the field.
 */
import { Ajv } from 'ajv';
import { jsonFieldPath } from '../util/json-field-path.js';
import { OteError } from '../errors.js';
import { DEFAULT_ENVIRONMENT, type EnvironmentSettings } from './environment.js';
import schema from './profile.schema.json' with { type: 'json' };
import aiTraining from './profiles/ai_training.json' with { type: 'json' };
import archviz from './profiles/archviz.json' with { type: 'json' };
import balanced from './profiles/balanced.json' with { type: 'json' };
import economy from './profiles/economy.json' with { type: 'json' };
import gaming from './profiles/gaming.json' with { type: 'json' };
import quality from './profiles/quality.json' with { type: 'json' };
import realtime from './profiles/realtime.json' with { type: 'json' };

export type Route = 'bake' | 'splat' | 'hybrid' | 'keep';

export interface Profile {
  name: string;
  description?: string;
  bake: {
    texelsPerMeter: number;
    /**
     * Most pixels of the planned views across a lightmap texel where they see it: texelsPerMeter rises there, at
     * most 4× (LightmapUvOptions.maxTexelPixels); absent = 4.
     */
    maxTexelPixels?: number;
    maxPageSize: 256 | 512 | 1024 | 2048 | 4096;
    samples: number;
    /** Early stop per texel (BakeOptions.noiseThreshold); absent = the bake's default. */
    noiseThreshold?: number;
    bounces: number;
    /** Bake time target in seconds (BakeOptions.targetSeconds); absent = none. */
    targetSeconds?: number;
    /** Bake double-sided surfaces seen from both sides as front and back copies (BakeOptions.twoSided); absent = true. */
    twoSided?: boolean;
    /**
     * Bake in two passes, the second gathering bounce light from the first (BakeOptions.finalGather); absent = where
     * no point or spot light lights the scene.
     */
    finalGather?: boolean;
    denoise: boolean;
    ambientOcclusion: boolean;
    encoding: 'rgbm' | 'hdr';
    /** Sky and sun for scenes without lights; fields left out keep DEFAULT_ENVIRONMENT's (plan/environment.ts). */
    environment?: Partial<EnvironmentSettings>;
  };
  splat: { budget: number; iterations: number; shDegree: number };
  routing: { bakeScore: number; dynamicScore: number; splatComplexity: number };
  quality: { ssim: number; psnr: number; flip: number };
  verification: { confidence: number; quorum: number; renderer: 'pathtrace' | 'raster' };
  cost: { ceilingUsd: number; deadlineMinutes: number };
  objects?: { match: string; route?: Route; texelsPerMeter?: number }[];
}

export const PROFILE_SCHEMA = schema;

/** Built-in profiles by lower-case name, in the order the product presents them. */
export const BUILTIN_PROFILES: Record<string, Profile> = Object.fromEntries(
  [quality, balanced, economy, realtime, archviz, gaming, aiTraining].map((p) => [
    p.name.toLowerCase(),
    stripMeta(p) as unknown as Profile,
  ]),
);

function stripMeta(p: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _s, extends: _e, ...rest } = p;
  return rest;
}

const validator = new Ajv({ allErrors: true, strict: false }).compile(schema);

export function builtinProfile(name: string): Profile {
  const p = BUILTIN_PROFILES[name.toLowerCase()];
  if (!p)
    throw new OteError(
      'BAD_PROFILE',
      `unknown profile "${name}"; built-ins are ${Object.keys(BUILTIN_PROFILES)
        .map((n) => n.toUpperCase())
        .join(', ')}`,
    );
  return structuredClone(p);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return !!x && typeof x === 'object' && !Array.isArray(x);
}

/** Objects merge key by key; arrays and scalars in `over` replace those in `base`. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over === undefined ? structuredClone(base) : structuredClone(over);
  const out: Record<string, unknown> = { ...structuredClone(base) };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? deepMerge(base[k], v) : structuredClone(v);
  return out;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

/** Validate a complete profile; throws BAD_PROFILE listing every problem with its field. */
export function validateProfile(doc: unknown, source = 'profile'): Profile {
  if (validator(doc)) return doc as unknown as Profile;
  const problems = (validator.errors ?? []).map((e) => {
    const params = e.params as Record<string, unknown>;
    if (e.keyword === 'additionalProperties') {
      const key = String(params.additionalProperty);
      const sub = e.schemaPath
        .replace(/^#\//, '')
        .replace(/\/additionalProperties$/, '')
        .split('/')
        .reduce<unknown>((s, k) => (s as Record<string, unknown>)?.[k], schema) as {
        properties?: Record<string, unknown>;
      };
      const known = Object.keys(sub?.properties ?? {});
      const guess = known
        .map((k) => [k, editDistance(k.toLowerCase(), key.toLowerCase())] as const)
        .sort((a, b) => a[1] - b[1])[0];
      return `${jsonFieldPath(e.instancePath, key)}: unknown field${guess && guess[1] <= 3 ? ` (did you mean "${guess[0]}"?)` : ''}`;
    }
    if (e.keyword === 'required') return `${jsonFieldPath(e.instancePath, String(params.missingProperty))}: required`;
    const value = e.instancePath
      .split('/')
      .filter(Boolean)
      .reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], doc);
    const message =
      e.keyword === 'enum'
        ? `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`
        : e.message;
    return `${jsonFieldPath(e.instancePath)}: ${message}, got ${JSON.stringify(value)}`;
  });
  const first = problems[0];
  throw new OteError(
    'BAD_PROFILE',
    problems.length === 1 ? first : `${problems.length} problems:\n  ${problems.join('\n  ')}`,
    { file: source },
  );
}

/**
 * A profile from a parsed file: a complete profile, or a partial one with "extends": "<built-in>" whose fields
 * override the built-in's. The result is validated as a whole.
 */
export function resolveProfile(doc: unknown, source = 'profile'): Profile {
  if (!isObject(doc)) throw new OteError('BAD_PROFILE', 'a profile must be a JSON object', { file: source });
  let merged: unknown = doc;
  if (doc.extends !== undefined) {
    if (typeof doc.extends !== 'string')
      throw new OteError(
        'BAD_PROFILE',
        `extends: must be a built-in profile name, got ${JSON.stringify(doc.extends)}`,
        { file: source },
      );
    const base = BUILTIN_PROFILES[doc.extends.toLowerCase()];
    if (!base)
      throw new OteError(
        'BAD_PROFILE',
        `extends: unknown profile "${doc.extends}"; built-ins are ${Object.keys(BUILTIN_PROFILES).join(', ')}`,
        { file: source },
      );
    merged = deepMerge(base, {
      ...stripMeta(doc),
      name: typeof doc.name === 'string' ? doc.name : `${base.name}+${source.split(/[\\/]/).pop()}`,
    });
  }
  return validateProfile(stripMeta(merged as Record<string, unknown>), source);
}

export interface ProfileDifference {
  field: string;
  a: unknown;
  b: unknown;
}

/** Field-by-field differences between two profiles (dotted paths), for `ote profiles diff`. */
export function diffProfiles(a: unknown, b: unknown, prefix = ''): ProfileDifference[] {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffProfiles(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [{ field: prefix || '(root)', a, b }];
}

/** Glob match of node names for per-object overrides (* any run, ? one character). */
export function matchesGlob(name: string, glob: string): boolean {
  const re = new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(name);
}

export function objectOverride(profile: Profile, nodeName: string) {
  return profile.objects?.find((o) => matchesGlob(nodeName, o.match));
}

/**
 * The profile's environment with every field it leaves out taken from DEFAULT_ENVIRONMENT. A sky the profile sets
 * replaces the default one whole: a constant sky must not pick up the default gradient's colours.
 */
export function environmentSettings(profile: Profile): EnvironmentSettings {
  const env = profile.bake.environment ?? {};
  const merged = deepMerge(DEFAULT_ENVIRONMENT, env) as EnvironmentSettings;
  return env.sky ? { ...merged, sky: env.sky } : merged;
}
