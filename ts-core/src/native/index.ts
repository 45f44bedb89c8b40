export * from './addon.js';
export * from './job.js';
export * from './measure.js';
export * from './rays.js';
