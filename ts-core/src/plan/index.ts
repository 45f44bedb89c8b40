export * from './profile.js';
export * from './router.js';
