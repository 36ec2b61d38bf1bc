import type { Build } from '@archway/contract';
import { CopyButton } from '../ui/copy-button.tsx';
import { StatusBadge } from '../ui/status-badge.tsx';

/**
 * A build of several images: one card per image — where it goes, its tags, its published index
 * and its platforms' tasks — in the request's order, as its tasks are grouped in the tabs below.
 */
export function ImageGroups({ build }: { build: Build }) {
  if (!build.images) return null;
  return (
    <section className="card image-groups" aria-labelledby="images-title">
      <h2 id="images-title">Images</h2>
      {build.images.map((img) => {
        const tasks = build.tasks.filter((t) => t.image === img.name);
        const pinned = img.image && img.indexDigest ? `${img.image}@${img.indexDigest}` : null;
        return (
          <article key={img.name} className="image-group" aria-label={`Image ${img.name}`}>
            <h3>{img.name}</h3>
            <p className="muted small">
              {img.containerfile ?? 'Containerfile'} in <code>{img.context}</code>
              {img.target ? ` up to stage ${img.target}` : ''} ·{' '}
              {img.push && img.image ? (
                <>
                  pushed to <code>{img.image}</code> as {img.tags.join(', ')}
                </>
              ) : (
                'not pushed'
              )}
            </p>
            <ul className="plain-list">
              {tasks.map((t) => (
                <li key={t.id}>
                  <StatusBadge status={t.status} label={t.platform} />
                </li>
              ))}
            </ul>
            {pinned && (
              <p>
                <code>{pinned}</code> <CopyButton value={pinned} label={`${img.name} digest`} />
              </p>
            )}
          </article>
        );
      })}
    </section>
  );
}
