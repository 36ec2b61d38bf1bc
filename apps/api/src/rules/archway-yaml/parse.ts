import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { formatBytes } from '@archway/contract';
import { WHEN_KEYS } from '../when/index.ts';
import { ArchwayYaml, IMAGE_KEYS } from './schema.ts';

export const ARCHWAY_YAML = '.archway.yaml';
/** Larger than any sensible config; stops a huge file from being parsed at all. */
const MAX_BYTES = 64 * 1024;

export type ParsedArchwayYaml = { ok: true; config: ArchwayYaml } | { ok: false; reason: string };

/**
 * Parses and validates `.archway.yaml`. A problem becomes one reason a person can act on, pointing
 * at the line: `.archway.yaml line 4: platforms[1]: unknown platform "linux/foo": …`.
 */
export function parseArchwayYaml(text: string): ParsedArchwayYaml {
  if (Buffer.byteLength(text) > MAX_BYTES) return fail(`is larger than ${formatBytes(MAX_BYTES)}`);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = lineCounter.linePos(syntax.pos[0]).line;
    return fail(`line ${line}: ${syntax.message.split('\n')[0]}`);
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) return fail(`line 1: must be a mapping of settings (${TOP_KEYS.join(', ')})`);
  const parsed = ArchwayYaml.safeParse(value);
  if (parsed.success) return { ok: true, config: parsed.data };
  const issue = parsed.error.issues[0]!;
  const path = formatPath(issue.path);
  const line = lineOf(doc, lineCounter, issue);
  const message =
    issue.code === 'unrecognized_keys'
      ? `unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}: use ${keysAt(issue.path).join(', ')}`
      : issue.message;
  return fail(`line ${line}: ${path ? `${path}: ` : ''}${message}`);
}

const TOP_KEYS = ['containerfile', 'context', 'target', 'platforms', 'buildArgs', 'tags', 'images', 'when'];

/** The settings allowed where an unknown one was found. */
function keysAt(path: readonly PropertyKey[]): readonly string[] {
  if (path[0] === 'when') return WHEN_KEYS;
  if (path[0] === 'images') return IMAGE_KEYS;
  return TOP_KEYS;
}

function fail(detail: string): ParsedArchwayYaml {
  return { ok: false, reason: `${ARCHWAY_YAML} ${detail}` };
}

/** `platforms[1]`, `buildArgs.FOO` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

/** The line of the node an issue is about; for an unknown key, the key itself. */
function lineOf(doc: Document, lc: LineCounter, issue: { code: string; path: PropertyKey[]; keys?: string[] }): number {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)) as (string | number)[];
  let node = (path.length ? doc.getIn(path, true) : doc.contents) as Node | undefined;
  // A missing value (or one inside a collection the path cannot reach): climb to the nearest parent.
  for (let n = path.length - 1; !node && n >= 0; n--) node = doc.getIn(path.slice(0, n), true) as Node | undefined;
  node ??= doc.contents ?? undefined;
  if (issue.code === 'unrecognized_keys' && issue.keys?.length && isMap(node)) {
    const pair = node.items.find((i) => isPair(i) && isScalar(i.key) && i.key.value === issue.keys![0]);
    if (pair && isScalar(pair.key) && pair.key.range) return lc.linePos(pair.key.range[0]).line;
  }
  return node?.range ? lc.linePos(node.range[0]).line : 1;
}
