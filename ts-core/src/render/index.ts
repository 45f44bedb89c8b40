export * from './render-view.js';
export * from './composite.js';
