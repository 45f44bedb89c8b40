/** The Gaussian model moved to scene/gaussians.ts (a data type io/ reads and writes); kept only for optimize/run.ts, another session's file: delete once it imports from there. */
export * from '../scene/gaussians.js';
