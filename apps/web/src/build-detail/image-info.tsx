import type { Build } from '@archway/contract';
import { CopyButton } from '../ui/copy-button.tsx';
import { formatBytes } from '../ui/format.ts';

/** What was published (or built): index digest, tags and per-platform manifests, each copyable. */
export function ImageInfo({ build }: { build: Build }) {
  // push: false builds stop at the archives: there are no tags to show.
  const refs = build.push && build.image ? build.tags.map((t) => `${build.image}:${t}`) : [];
  const pinned = build.image && build.indexDigest ? `${build.image}@${build.indexDigest}` : null;
  // The published manifest carries Archway's annotations: its digest is the merger's, not the archive's.
  const published = (platform: string) => build.supplyChain?.attestations.find((a) => a.platform === platform)?.manifestDigest;
  const built = build.tasks.filter((t) => t.manifestDigest).map((t) => ({ ...t, manifestDigest: published(t.platform) ?? t.manifestDigest }));
  if (!refs.length && !pinned && !built.length) return null;
  return (
    <section className="card image-info" aria-labelledby="image-title">
      <h2 id="image-title">Image</h2>
      <dl>
        {pinned && (
          <div>
            <dt>Index digest</dt>
            <dd>
              <code>{pinned}</code> <CopyButton value={pinned} label="image digest" />
            </dd>
          </div>
        )}
        {refs.length > 0 && (
          <div>
            <dt>{build.status === 'succeeded' ? 'Tags' : 'Tags (written when every platform succeeds)'}</dt>
            {refs.map((r) => (
              <dd key={r}>
                <code>{r}</code> <CopyButton value={r} label={`tag ${r}`} />
              </dd>
            ))}
          </div>
        )}
        {built.length > 0 && (
          <div>
            <dt>Platform manifests</dt>
            {built.map((t) => (
              <dd key={t.id}>
                <span className="platform-name">{t.platform}</span> <code>{t.manifestDigest}</code>{' '}
                <CopyButton value={t.manifestDigest!} label={`${t.platform} digest`} />
                {t.archiveSize != null && <span className="muted small"> archive {formatBytes(t.archiveSize)}</span>}
              </dd>
            ))}
          </div>
        )}
      </dl>
    </section>
  );
}
