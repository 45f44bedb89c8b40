export * from './profile.js';
export * from './router.js';
export * from './environment.js';
