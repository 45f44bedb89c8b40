export * from './analyze.js';
export * from './features.js';
export * from './scoring.js';
export * from './hints.js';
