export * from './render-view.js';
