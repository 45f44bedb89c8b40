export * from './types.js';
export * from './cost.js';
export * from './cameras.js';
export * from './html.js';
