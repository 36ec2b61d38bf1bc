import type { ObjectStore } from '@archway/runtime';

/** Deletes `key` if it exists; returns its size, or null when there was nothing to delete. */
export async function removeObject(store: ObjectStore, key: string): Promise<number | null> {
  // HEAD first: DELETE succeeds for missing keys on S3, and the log should say what really went.
  const found = await store.head(key);
  if (!found) return null;
  await store.delete(key);
  return found.size;
}
