import { runBuildah, storageArgs, type BuildahSettings } from '../buildah.ts';

const FROM_LINE = /^(?:\[\d+\/\d+\] )?STEP \d+\/\d+: FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i;

/**
 * The base images of a build, from buildah's own `STEP n/m: FROM …` lines (what it resolved, build
 * args expanded), minus `scratch` and earlier stages named with `AS`.
 */
export class FromCollector {
  readonly refs: string[] = [];
  private readonly stages = new Set<string>();

  feed(line: string): void {
    const m = FROM_LINE.exec(line);
    if (!m) return;
    const ref = m[1]!;
    if (ref.toLowerCase() !== 'scratch' && !this.stages.has(ref.toLowerCase()) && !this.refs.includes(ref)) this.refs.push(ref);
    if (m[2]) this.stages.add(m[2].toLowerCase());
  }
}

/** Each base image with the manifest digest buildah pulled it by (its local storage records it). */
export async function resolveBaseImages(settings: BuildahSettings, refs: string[]): Promise<{ uri: string; digest: string }[]> {
  if (refs.length === 0) return [];
  const out: string[] = [];
  const r = await runBuildah(settings, [...storageArgs(settings), 'images', '--json'], { onLine: (l) => void out.push(l) });
  if (r.code !== 0) return [];
  let images: { names?: string[] | null; digest?: string }[];
  try {
    images = JSON.parse(out.join('\n')) as typeof images;
  } catch {
    return [];
  }
  const found: { uri: string; digest: string }[] = [];
  for (const ref of refs) {
    const pinned = /@(sha256:[0-9a-f]{64})$/.exec(ref);
    if (pinned) {
      found.push({ uri: `oci://${ref.replace(/@sha256:[0-9a-f]{64}$/, '')}`, digest: pinned[1]! });
      continue;
    }
    const names = candidates(ref);
    const image = images.find((i) => i.names?.some((n) => names.includes(n)));
    if (image?.digest) found.push({ uri: `oci://${image.names!.find((n) => names.includes(n))}`, digest: image.digest });
  }
  return found;
}

/** How buildah may have stored a short reference: `debian` is `docker.io/library/debian:latest`. */
function candidates(ref: string): string[] {
  const tagged = /:[^/]+$/.test(ref) ? [ref] : [ref, `${ref}:latest`];
  const out = new Set(tagged);
  for (const t of tagged) {
    out.add(`docker.io/${t}`);
    out.add(`docker.io/library/${t}`);
    out.add(`localhost/${t}`);
  }
  return [...out];
}
