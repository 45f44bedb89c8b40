export * from './types.js';
export * from './build.js';
export * from './transform.js';
export * from './flatten.js';
export * from './hash.js';
export * from './bounds.js';
export * from './stats.js';
export * from './view.js';
