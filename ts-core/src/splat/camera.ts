/** The rasterizer's camera moved to native/splat-camera.ts (the binding takes it); kept only for optimize/run.ts, another session's file: delete once it imports from there. */
export * from '../native/splat-camera.js';
