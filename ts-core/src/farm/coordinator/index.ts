/**
 * The farm's learning coordinator (issue #19): history of task attempts, a model of each worker's time and failure
 * risk per task kind, and the policies that assign by it. Pure computation; the dispatcher wires it in (a later part).
 */
export * from './assign.js';
export * from './history.js';
export * from './model.js';
