/**
 * Image quality metrics. Importing this module registers the built-in providers (metrics/builtin.ts) up front, so
 * listMetrics() shows them before any computation. computeMetrics (compute.js) registers them itself on first need
 * and loads native/ only then: code that must not load the addon (the editor's V8) imports registry.js, compute.js
 * and verdict.js directly and registers its own providers first.
 */
import { registerBuiltinProviders } from './builtin.js';

export * from './types.js';
export * from './registry.js';
export * from './compute.js';
export * from './verdict.js';

registerBuiltinProviders();
