import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv, type ErrorObject } from 'ajv';
import formats, { type FormatsPlugin } from 'ajv-formats';

// ajv-formats is CommonJS with `exports.default`: under NodeNext its default import is the module object.
const addFormats = ((formats as unknown as { default?: FormatsPlugin }).default ?? formats) as FormatsPlugin;

const run = promisify(execFile);

/** Reads what a published image holds, as a client would (skopeo for manifests, the registry API for blobs). */
export function registryReader(registryHost: string, repository: string) {
  const raw = async (reference: string) => {
    const sep = reference.startsWith('sha256:') ? '@' : ':';
    const { stdout } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registryHost}/${repository}${sep}${reference}`], {
      maxBuffer: 16 * 1024 * 1024,
    });
    return { body: Buffer.from(stdout), json: JSON.parse(stdout) as Record<string, any> };
  };
  const blob = async (digest: string) => {
    const res = await fetch(`http://${registryHost}/v2/${repository}/blobs/${digest}`);
    if (!res.ok) throw new Error(`GET blob ${digest}: ${res.status}`);
    const data = Buffer.from(await res.arrayBuffer());
    if (`sha256:${createHash('sha256').update(data).digest('hex')}` !== digest) throw new Error(`blob ${digest} does not hash to its digest`);
    return data;
  };
  return { raw, blob };
}

const schemas = join(import.meta.dirname, 'schemas');

/** Validators for the vendored SPDX 2.3 and SLSA provenance v1 schemas (test/support/schemas/README.md). */
export function supplySchemas() {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const load = (file: string) => ajv.compile(JSON.parse(readFileSync(join(schemas, file), 'utf8')));
  const spdx = load('spdx-2.3.schema.json');
  const slsa = load('slsa-provenance-v1.schema.json');
  const check = (validate: typeof spdx, doc: unknown) =>
    validate(doc) ? [] : (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath} ${e.message}`);
  return { spdx: (doc: unknown) => check(spdx, doc), slsa: (doc: unknown) => check(slsa, doc) };
}

export const sha256Hex = (data: Buffer) => createHash('sha256').update(data).digest('hex');
