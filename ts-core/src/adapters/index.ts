export * from './engine-frame.js';
export * from './engine-scene.js';
