export * from './gltf-read.js';
export * from './gltf-write.js';
export * from './atomic-write.js';
export { fmtBytes, readGltfContainer } from './gltf-container.js';
export * from './png.js';
export * from './exr.js';
export * from './image-file.js';
