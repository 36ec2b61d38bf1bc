import type { Build } from '@archway/contract';
import { describeFailure } from './failure.ts';

export function FailureBanner({ build }: { build: Build }) {
  const failure = describeFailure(build);
  if (!failure) return null;
  return (
    <div className={`banner ${build.status === 'canceled' ? 'banner-neutral' : 'banner-error'}`} role="status">
      <strong>{failure.headline}</strong>
      {failure.details.length > 0 && (
        <ul>
          {failure.details.map((d, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list that never reorders; details may repeat
            <li key={i}>{d}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
