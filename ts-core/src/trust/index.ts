/** The Trust Engine's public API. Pure modules (merkle, consensus, reputation, sampling, certificate) run anywhere. */
export * from './types.js';
export * from './bytes.js';
export * from './merkle.js';
export * from './sampling.js';
export * from './consensus.js';
export * from './reputation.js';
export * from './certificate.js';
export type { SampleEvaluator, SampleResult } from './evaluator.js';
