import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ObjectStore, PutResult } from '@archway/shared/node';
import { retryableFailure, TaskCanceled } from './errors.ts';

/** Streams a local file to the object store; the store hashes it on the way. */
export async function uploadFile(store: ObjectStore, key: string, path: string, signal?: AbortSignal): Promise<PutResult> {
  const { size } = await stat(path);
  try {
    const put = await store.put(key, createReadStream(path, signal ? { signal } : {}), { contentLength: size });
    if (put.size !== size) throw new Error(`stored ${put.size} bytes of ${size}`);
    return put;
  } catch (err) {
    if (signal?.aborted) throw new TaskCanceled();
    throw retryableFailure(`uploading ${key} to the object store failed: ${(err as Error).message}`, err);
  }
}
