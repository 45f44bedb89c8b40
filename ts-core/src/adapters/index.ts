export * from './engine-frame.js';
export * from './engine-scene.js';
export * from './ote-command.js';
