import { BUILD_STATUSES, BuildStatus, type Repo } from '@archway/contract';
import { useEffect, useRef, useState } from 'react';

export interface Filters {
  status: BuildStatus | '';
  /** A registered repository's id. */
  repo: string;
  /** A branch or tag name. */
  branch: string;
}

/** Every filter runs on the server (GET /api/v1/builds?status=&repoId=&ref=), so older pages filter too. */
export function BuildFilters({ value, repos, onChange }: { value: Filters; repos: Repo[]; onChange(f: Filters): void }) {
  // The branch applies once typing pauses, not on every keystroke.
  const [branch, setBranch] = useState(value.branch);
  const latest = useRef({ value, onChange });
  latest.current = { value, onChange };
  useEffect(() => setBranch(value.branch), [value.branch]);
  useEffect(() => {
    if (branch.trim() === latest.current.value.branch) return;
    const t = setTimeout(() => latest.current.onChange({ ...latest.current.value, branch: branch.trim() }), 400);
    return () => clearTimeout(t);
  }, [branch]);
  const known = repos.some((r) => r.id === value.repo);

  return (
    // biome-ignore lint/a11y/useSemanticElements: <form role="search"> is the ARIA pattern; <search> is not yet in React's types
    <form
      className="filters"
      role="search"
      aria-label="Filter builds"
      onSubmit={(e) => {
        e.preventDefault();
        onChange({ ...value, branch: branch.trim() });
      }}
    >
      <div className="field">
        <label htmlFor="f-status">Status</label>
        <select id="f-status" value={value.status} onChange={(e) => onChange({ ...value, status: e.target.value as Filters['status'] })}>
          <option value="">any</option>
          {BUILD_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="f-repo">Repository</label>
        <select id="f-repo" value={value.repo} onChange={(e) => onChange({ ...value, repo: e.target.value })}>
          <option value="">any</option>
          {repos.map((r) => (
            <option key={r.id} value={r.id}>
              {r.fullName}
            </option>
          ))}
          {value.repo && !known && <option value={value.repo}>{value.repo.slice(0, 8)}… (not registered)</option>}
        </select>
      </div>
      <div className="field">
        <label htmlFor="f-branch">Branch or tag</label>
        <input id="f-branch" value={branch} placeholder="any" onChange={(e) => setBranch(e.target.value)} />
      </div>
    </form>
  );
}

export function filtersFromSearch(search: string): Filters {
  const p = new URLSearchParams(search);
  const status = p.get('status') ?? '';
  return {
    status: BuildStatus.safeParse(status).data ?? '',
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
