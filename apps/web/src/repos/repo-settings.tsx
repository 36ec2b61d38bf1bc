import type { Repo, TagRules } from '@archway/contract';
import { useState, type FormEvent, type ReactNode } from 'react';
import { updateRepo } from '../api/endpoints.ts';
import { formFromRepo, patchFromForm, type SettingsForm } from './settings-form.ts';

const yesNo = (b: boolean) => (b ? 'yes' : 'no');
const RULES: { key: Exclude<keyof TagRules, 'semverLatest'>; label: string }[] = [
  { key: 'defaultBranchLatest', label: 'The default branch tags latest' },
  { key: 'defaultBranchSha', label: 'The default branch tags sha-<7 hex>' },
  { key: 'branches', label: 'Other branches tag their name' },
  { key: 'semver', label: 'Version tags (v1.2.3) tag 1.2.3, 1.2 and 1' },
  { key: 'otherTags', label: 'Other git tags tag their name' },
];

/** The repository's build settings: shown as a list, edited in place (PATCH sends only changes). */
export function RepoSettings({ repo, onSaved }: { repo: Repo; onSaved(repo: Repo): void }) {
  const [editing, setEditing] = useState(false);
  return (
    <section className="card repo-settings" aria-labelledby="settings-title">
      <div className="section-head">
        <h2 id="settings-title">Settings</h2>
        {!editing && (
          <button type="button" onClick={() => setEditing(true)}>
            Edit settings
          </button>
        )}
      </div>
      {editing ? (
        <SettingsEditor
          repo={repo}
          onDone={(saved) => {
            if (saved) onSaved(saved);
            setEditing(false);
          }}
        />
      ) : (
        <dl className="kv">
          <Item label="Clone URL">
            <code>{repo.cloneUrl}</code>
          </Item>
          <Item label="Default branch">
            <code>{repo.defaultBranch}</code>
          </Item>
          <Item label="Image">{repo.image ? <code>{repo.image}</code> : <span className="muted">none: builds push nothing</span>}</Item>
          <Item label="Also published to">
            {repo.pushTargets.length ? repo.pushTargets.map((t) => <code key={t}>{t}/…</code>) : <span className="muted">the image only</span>}
          </Item>
          <Item label="Containerfile">
            {repo.containerfile ? <code>{repo.containerfile}</code> : <span className="muted">Containerfile, else Dockerfile</span>}
          </Item>
          <Item label="Context">
            <code>{repo.context}</code>
          </Item>
          <Item label="Platforms">{repo.platforms.join(', ')}</Item>
          <Item label="Build args">
            {Object.keys(repo.buildArgs).length ? (
              Object.entries(repo.buildArgs).map(([k, v]) => (
                <code key={k}>
                  {k}={v}
                </code>
              ))
            ) : (
              <span className="muted">none</span>
            )}
          </Item>
          <Item label="Tag rules">
            <ul className="plain-list">
              {RULES.map((r) => (
                <li key={r.key}>
                  {r.label}: {yesNo(repo.tagRules[r.key])}
                </li>
              ))}
              <li>A release also tags latest: {repo.tagRules.semverLatest}</li>
            </ul>
          </Item>
          <Item label="Cancel superseded builds">
            branches: {yesNo(repo.cancelSuperseded.branches)}, pull requests: {yesNo(repo.cancelSuperseded.pullRequests)}
          </Item>
          <Item label="Time limit">
            {repo.buildTimeout ? <code>{repo.buildTimeout}</code> : <span className="muted">the agents' default (60 min)</span>} per platform
          </Item>
          <Item label="Queue-wait limit">
            {repo.queueWaitLimit ? <code>{repo.queueWaitLimit}</code> : <span className="muted">the API's ARCHWAY_QUEUE_WAIT_LIMIT</span>} waiting for an agent,
            then the task fails
          </Item>
          <Item label="Pull requests get the build secrets">{yesNo(repo.pullRequestSecrets)}</Item>
          <Item label="Pull requests from forks and first-time contributors wait for approval">{yesNo(repo.requireApproval)}</Item>
          <Item label="Shared layer cache">{repo.layerCache === null ? <span className="muted">the server's default</span> : yesNo(repo.layerCache)}</Item>
          <Item label="Rebuild when a base image changes">{yesNo(repo.rebuildOnBaseChange)}</Item>
          <Item label="Provenance and SBOM attestations">{yesNo(repo.attestations)}</Item>
          <Item label="Forge API">{repo.apiUrl ? <code>{repo.apiUrl}</code> : <span className="muted">derived from the provider and clone URL</span>}</Item>
        </dl>
      )}
    </section>
  );
}

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function SettingsEditor({ repo, onDone }: { repo: Repo; onDone(saved: Repo | null): void }) {
  const [form, setForm] = useState<SettingsForm>(() => formFromRepo(repo));
  const [error, setError] = useState<{ message: string; field?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof SettingsForm) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const invalid = (name: string) => (error?.field && (error.field === name || error.field.startsWith(`${name}.`)) ? true : undefined);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const result = patchFromForm(repo, form);
    if ('error' in result) return setError({ message: result.error, field: result.field });
    if (Object.keys(result.patch).length === 0) return onDone(null);
    setBusy(true);
    setError(null);
    try {
      onDone(await updateRepo(repo.id, result.patch));
    } catch (err) {
      setError({ message: err instanceof Error ? err.message : String(err), field: (err as { field?: string }).field });
      setBusy(false);
    }
  };

  const text = (id: string, k: keyof SettingsForm, label: string, placeholder?: string) => (
    <div className="field">
      <label htmlFor={`rs-${id}`}>{label}</label>
      <input id={`rs-${id}`} value={form[k] as string} onChange={set(k)} placeholder={placeholder} aria-invalid={invalid(k)} />
    </div>
  );
  return (
    <form className="settings-form" onSubmit={submit} aria-label="Edit settings">
      <div className="grid-2">
        {text('clone', 'cloneUrl', 'Clone URL')}
        {text('branch', 'defaultBranch', 'Default branch')}
        {text('image', 'image', 'Image (empty: push nothing)', 'registry.example.com/team/app')}
        {text('cf', 'containerfile', 'Containerfile (empty: Containerfile, else Dockerfile)')}
        {text('context', 'context', 'Context')}
        {text('platforms', 'platforms', 'Platforms')}
        {text('api', 'apiUrl', 'Forge API URL (empty: derived)', 'https://codeberg.org/api/v1')}
        {text('timeout', 'buildTimeout', 'Time limit per platform (empty: 60 min)', '45m, 1h30m')}
        {text('wait', 'queueWaitLimit', 'Queue-wait limit (empty: the API default)', '15m, 2h')}
        <div className="field wide">
          <label htmlFor="rs-targets">Push targets: registry/path, one per line (the image's name is appended)</label>
          <textarea
            id="rs-targets"
            rows={2}
            value={form.pushTargets}
            onChange={set('pushTargets')}
            placeholder="harbor.internal/team"
            aria-invalid={invalid('pushTargets')}
          />
        </div>
        <div className="field wide">
          <label htmlFor="rs-args">Build args (NAME=value, one per line)</label>
          <textarea id="rs-args" rows={3} value={form.buildArgs} onChange={set('buildArgs')} aria-invalid={invalid('buildArgs')} />
        </div>
      </div>
      <fieldset>
        <legend>Tag rules</legend>
        {RULES.map((r) => (
          <div className="field checkbox" key={r.key}>
            <input
              id={`rs-rule-${r.key}`}
              type="checkbox"
              checked={form.tagRules[r.key]}
              onChange={(e) => setForm({ ...form, tagRules: { ...form.tagRules, [r.key]: e.target.checked } })}
            />
            <label htmlFor={`rs-rule-${r.key}`}>{r.label}</label>
          </div>
        ))}
        <div className="field inline">
          <label htmlFor="rs-semver-latest">A release also tags latest</label>
          <select
            id="rs-semver-latest"
            value={form.tagRules.semverLatest}
            onChange={(e) => setForm({ ...form, tagRules: { ...form.tagRules, semverLatest: e.target.value as TagRules['semverLatest'] } })}
          >
            <option value="highest">only the highest release</option>
            <option value="always">always</option>
            <option value="never">never</option>
          </select>
        </div>
      </fieldset>
      <div className="field inline">
        <label htmlFor="rs-layer-cache">Layer cache shared by agents (pull requests only read it)</label>
        <select id="rs-layer-cache" value={form.layerCache} onChange={(e) => setForm({ ...form, layerCache: e.target.value as SettingsForm['layerCache'] })}>
          <option value="default">the server's default</option>
          <option value="on">on</option>
          <option value="off">off</option>
        </select>
      </div>
      <fieldset>
        <legend>A new push cancels the older queued or running build of</legend>
        {(['branches', 'pullRequests'] as const).map((k) => (
          <div className="field checkbox" key={k}>
            <input
              id={`rs-cancel-${k}`}
              type="checkbox"
              checked={form.cancelSuperseded[k]}
              onChange={(e) => setForm({ ...form, cancelSuperseded: { ...form.cancelSuperseded, [k]: e.target.checked } })}
            />
            <label htmlFor={`rs-cancel-${k}`}>{k === 'branches' ? 'the same branch' : 'the same pull request'}</label>
          </div>
        ))}
      </fieldset>
      {(
        [
          ['Build secrets', 'pullRequestSecrets', "Pull request builds get the secrets too (they run the pull request's Containerfile)"],
          [
            'Untrusted pull requests',
            'requireApproval',
            'Pull requests from forks and first-time contributors wait until someone with the build scope approves them',
          ],
          ['Base images', 'rebuildOnBaseChange', "Rebuild each branch's latest commit when a base image it was built on changes"],
          ['Supply chain', 'attestations', 'Publish provenance and SBOM attestations in the index (off for registries that refuse unknown/unknown platforms)'],
        ] as const
      ).map(([legend, key, label]) => (
        <fieldset key={key}>
          <legend>{legend}</legend>
          <div className="field checkbox">
            <input id={`rs-${key}`} type="checkbox" checked={form[key]} onChange={(e) => setForm({ ...form, [key]: e.target.checked })} />
            <label htmlFor={`rs-${key}`}>{label}</label>
          </div>
        </fieldset>
      ))}
      {error && (
        <p className="error" role="alert">
          {error.message}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save settings'}
        </button>
        <button type="button" onClick={() => onDone(null)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
