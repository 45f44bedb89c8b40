export * from './addon.js';
export * from './bake.js';
export * from './job.js';
export * from './measure.js';
export * from './rays.js';
export * from './metrics.js';
export * from './lightmap-post.js';
