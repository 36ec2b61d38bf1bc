import type { BuildStatus } from '@archway/shared';

const STATUSES: BuildStatus[] = ['queued', 'running', 'publishing', 'succeeded', 'failed', 'canceled'];

export interface Filters {
  status: BuildStatus | '';
  repo: string;
  branch: string;
}

/** Status filters on the server; repository and branch narrow the loaded builds as you type. */
export function BuildFilters({ value, repos, onChange }: { value: Filters; repos: string[]; onChange(f: Filters): void }) {
  return (
    <form className="filters" role="search" aria-label="Filter builds" onSubmit={(e) => e.preventDefault()}>
      <div className="field">
        <label htmlFor="f-status">Status</label>
        <select id="f-status" value={value.status} onChange={(e) => onChange({ ...value, status: e.target.value as Filters['status'] })}>
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>{s}</option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="f-repo">Repository</label>
        <input id="f-repo" list="f-repo-list" value={value.repo} placeholder="any" onChange={(e) => onChange({ ...value, repo: e.target.value })} />
        <datalist id="f-repo-list">
          {repos.map((r) => (
            <option key={r} value={r} />
          ))}
        </datalist>
      </div>
      <div className="field">
        <label htmlFor="f-branch">Branch</label>
        <input id="f-branch" value={value.branch} placeholder="any" onChange={(e) => onChange({ ...value, branch: e.target.value })} />
      </div>
    </form>
  );
}

export function filtersFromSearch(search: string): Filters {
  const p = new URLSearchParams(search);
  const status = p.get('status') ?? '';
  return {
    status: (STATUSES as string[]).includes(status) ? (status as BuildStatus) : '',
    repo: p.get('repo') ?? '',
    branch: p.get('branch') ?? '',
  };
}

export function filtersToSearch(f: Filters): string {
  const p = new URLSearchParams();
  if (f.status) p.set('status', f.status);
  if (f.repo) p.set('repo', f.repo);
  if (f.branch) p.set('branch', f.branch);
  const s = p.toString();
  return s ? `?${s}` : '';
}
