import { stat } from 'node:fs/promises';
import type { ObjectStore, PutResult } from '@archway/runtime';
import { retryableFailure, TaskCanceled } from './errors.ts';

/** Stores a local file in the object store, which hashes it on the way. */
export async function uploadFile(store: ObjectStore, key: string, path: string, signal?: AbortSignal): Promise<PutResult> {
  const { size } = await stat(path);
  try {
    const put = await store.putFile(key, path, signal ? { signal } : {});
    if (put.size !== size) throw new Error(`stored ${put.size} bytes of ${size}`);
    return put;
  } catch (err) {
    if (signal?.aborted) throw new TaskCanceled();
    throw retryableFailure(`uploading ${key} to the object store failed: ${(err as Error).message}`, err);
  }
}
