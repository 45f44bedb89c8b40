/**
 * The worker thread that runs the Khronos glTF-Validator for gltf-validate.ts. It is a thread of its own because
 * the validator (JS compiled from Dart) can fail outside its promise: a corrupt PNG in a GLB makes it throw "Bad
 * state: Future already completed" from a callback, which would end the whole process; here it ends this thread,
 * and a validation that never ends can be stopped by terminating it.
 */
import { parentPort } from 'node:worker_threads';
import type { ValidationOptions } from 'gltf-validator';

export interface ValidateRequest {
  id: number;
  bytes: Uint8Array;
  /** External buffers and images by URI, as gltf-container.ts read them. */
  resources: Record<string, Uint8Array>;
  options: Omit<ValidationOptions, 'externalResourceFunction'>;
}

export type ValidateReply =
  | { id: number; issues: import('gltf-validator').ValidationReport['issues'] }
  | { id: number; failed: string };

const { validateBytes } = await import('gltf-validator');

parentPort!.on('message', async ({ id, bytes, resources, options }: ValidateRequest) => {
  let reply: ValidateReply;
  try {
    const report = await validateBytes(bytes, {
      ...options,
      externalResourceFunction: async (uri) => {
        const data = resources[uri] ?? resources[decodeURIComponent(uri)];
        if (!data) throw new Error(`"${uri}" was not read`);
        return data;
      },
    });
    reply = { id, issues: report.issues };
  } catch (e) {
    reply = { id, failed: String((e as Error)?.message ?? e).split('\n')[0] };
  }
  parentPort!.postMessage(reply);
});
