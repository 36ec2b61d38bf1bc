import type { BuildSummary } from '@archway/contract';
import { BuildRow } from './build-row.tsx';

/** The builds table of the builds page and of a repository page. */
export function BuildsTable({
  builds,
  now,
  caption,
  repoName,
}: {
  builds: BuildSummary[];
  now: number;
  caption: string;
  repoName: (b: BuildSummary) => string | undefined;
}) {
  return (
    <table className="builds-table">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Status</th>
          <th scope="col">Build</th>
          <th scope="col">Platforms</th>
          <th scope="col">Trigger</th>
          <th scope="col">Started</th>
          <th scope="col" className="num">
            Duration
          </th>
        </tr>
      </thead>
      <tbody>
        {builds.map((b) => (
          <BuildRow key={b.id} build={b} now={now} repoName={repoName(b)} />
        ))}
      </tbody>
    </table>
  );
}
