export * from './engine-frame.js';
export * from './engine-scene.js';
export * from './light-units.js';
export * from './materials.js';
export * from './ote-command.js';
export * from './plugin-profile.js';
export * from './sky.js';
