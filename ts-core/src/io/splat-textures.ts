/** Old name of io/textures.ts, kept only for optimize/run.ts (another session's file); delete once it imports textures.js. */
export * from './textures.js';
