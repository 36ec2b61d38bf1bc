import type {} from '../../../../test/global-setup.ts';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { createObjectStore } from './create-object-store.ts';
import { FsObjectStore } from './fs-object-store.ts';
import { S3ObjectStore } from './s3-object-store.ts';
import { s3OptionsFromUrl } from './s3-settings.ts';

describe('s3OptionsFromUrl', () => {
  it('reads bucket and prefix from the URL and defaults from nothing', () => {
    expect(s3OptionsFromUrl('s3://archway-artifacts/ci/archives', {})).toEqual({
      bucket: 'archway-artifacts',
      prefix: 'ci/archives',
      endpoint: undefined,
      region: 'us-east-1',
      forcePathStyle: false,
      credentials: undefined,
    });
    expect(s3OptionsFromUrl('s3://bucket', {})).toMatchObject({ bucket: 'bucket', prefix: '' });
  });

  it('uses path-style by default only when an endpoint is set, unless told otherwise', () => {
    const env = { ARCHWAY_S3_ENDPOINT: 'http://minio:9000', ARCHWAY_S3_REGION: 'eu-west-3' };
    expect(s3OptionsFromUrl('s3://b1b', env)).toMatchObject({ endpoint: 'http://minio:9000', region: 'eu-west-3', forcePathStyle: true });
    expect(s3OptionsFromUrl('s3://b1b', { ...env, ARCHWAY_S3_FORCE_PATH_STYLE: 'false' }).forcePathStyle).toBe(false);
    expect(s3OptionsFromUrl('s3://b1b', { ARCHWAY_S3_FORCE_PATH_STYLE: '1' }).forcePathStyle).toBe(true);
  });

  it('takes credentials from the environment or from *_FILE secrets', async () => {
    expect(s3OptionsFromUrl('s3://b1b', { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'sec' }).credentials).toEqual({
      accessKeyId: 'AKID',
      secretAccessKey: 'sec',
    });
    const dir = join(inject('tmpRoot'), `s3-secrets-${randomUUID()}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'id'), 'AKIDFILE\n');
    await writeFile(join(dir, 'secret'), 'from-a-file\n');
    await writeFile(join(dir, 'token'), 'tok');
    const env = { AWS_ACCESS_KEY_ID_FILE: join(dir, 'id'), AWS_SECRET_ACCESS_KEY_FILE: join(dir, 'secret'), AWS_SESSION_TOKEN_FILE: join(dir, 'token') };
    expect(s3OptionsFromUrl('s3://b1b', env).credentials).toEqual({ accessKeyId: 'AKIDFILE', secretAccessKey: 'from-a-file', sessionToken: 'tok' });
  });

  it('names the variable that is wrong', () => {
    expect(() => s3OptionsFromUrl('s3://b1b', { AWS_ACCESS_KEY_ID: 'AKID' })).toThrow(
      / {2}- AWS_SECRET_ACCESS_KEY: AWS_SECRET_ACCESS_KEY \(or AWS_SECRET_ACCESS_KEY_FILE\) is not set/,
    );
    expect(() => s3OptionsFromUrl('s3://b1b', { AWS_SECRET_ACCESS_KEY: 'hunter2' })).toThrow(/AWS_ACCESS_KEY_ID/);
    expect(() => s3OptionsFromUrl('s3://b1b', { AWS_SECRET_ACCESS_KEY: 'x', AWS_SECRET_ACCESS_KEY_FILE: '/x', AWS_ACCESS_KEY_ID: 'a' })).toThrow(
      /AWS_SECRET_ACCESS_KEY: set AWS_SECRET_ACCESS_KEY or AWS_SECRET_ACCESS_KEY_FILE, not both/,
    );
    expect(() => s3OptionsFromUrl('s3://b1b', { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY_FILE: '/nonexistent/secret' })).toThrow(
      /AWS_SECRET_ACCESS_KEY_FILE: cannot read \/nonexistent\/secret: ENOENT/,
    );
    expect(() => s3OptionsFromUrl('s3://b1b', { ARCHWAY_S3_FORCE_PATH_STYLE: 'maybe' })).toThrow(/ARCHWAY_S3_FORCE_PATH_STYLE: must be true or false/);
    expect(() => s3OptionsFromUrl('s3://b1b', { ARCHWAY_S3_ENDPOINT: 'minio:9000' })).toThrow(
      /^invalid object store configuration:\n {2}- ARCHWAY_S3_ENDPOINT: must be an http/,
    );
    expect(() => s3OptionsFromUrl('s3://a/prefix', {})).toThrow(/ARCHWAY_OBJECT_STORE: "a" in "s3:\/\/a\/prefix" is not a valid bucket name/);
    expect(() => s3OptionsFromUrl('s3:///prefix', {})).toThrow(/not a valid bucket name/);
  });

  it('does not put secret values into error messages', () => {
    const err = (() => {
      try {
        s3OptionsFromUrl('s3://b1b', { AWS_SECRET_ACCESS_KEY: 'hunter2-secret' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toBeTruthy();
    expect(err!.message).not.toContain('hunter2-secret');
  });
});

describe('createObjectStore', () => {
  it('keeps file:// and absolute paths on the filesystem store', () => {
    expect(createObjectStore('file:///var/lib/archway/objects')).toEqual(new FsObjectStore('/var/lib/archway/objects'));
    expect(createObjectStore('/data/objects')).toEqual(new FsObjectStore('/data/objects'));
  });

  it('builds an S3 store for s3:// URLs and rejects anything else', () => {
    const s = createObjectStore('s3://archway/builds', { ARCHWAY_S3_ENDPOINT: 'http://127.0.0.1:9' });
    expect(s).toBeInstanceOf(S3ObjectStore);
    expect((s as S3ObjectStore).prefix).toBe('builds/');
    (s as S3ObjectStore).destroy();
    expect(() => createObjectStore('gs://bucket')).toThrow(/use file:\/\/\/absolute\/path or s3:\/\/bucket\/prefix/);
  });
});
