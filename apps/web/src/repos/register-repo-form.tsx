import type { RepoCreateInput, RepoProvider } from '@archway/contract';
import { useState, type FormEvent } from 'react';
import { createRepo } from '../api/endpoints.ts';
import { useRouter } from '../router/router.tsx';
import { rememberSecret } from './one-time-secret.ts';
import { splitList } from './settings-form.ts';

/** Registers a forge repository (POST /api/v1/repos), then opens its page with the webhook secret shown once. */
export function RegisterRepoForm({ id, onCancel }: { id: string; onCancel(): void }) {
  const { navigate } = useRouter();
  const [form, setForm] = useState({
    fullName: '',
    provider: 'github' as RepoProvider,
    cloneUrl: '',
    defaultBranch: 'main',
    image: '',
    platforms: 'linux/amd64, linux/arm64',
    containerfile: '',
    context: '.',
    forgeToken: '',
  });
  const [error, setError] = useState<{ message: string; field?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body: RepoCreateInput = {
      fullName: form.fullName.trim(),
      provider: form.provider,
      cloneUrl: form.cloneUrl.trim(),
      defaultBranch: form.defaultBranch.trim() || 'main',
      platforms: splitList(form.platforms),
      context: form.context.trim() || '.',
    };
    if (form.image.trim()) body.image = form.image.trim();
    if (form.containerfile.trim()) body.containerfile = form.containerfile.trim();
    if (form.forgeToken.trim()) body.forgeToken = form.forgeToken.trim();
    try {
      const repo = await createRepo(body);
      if (repo.webhookSecret) rememberSecret(repo.id, repo.webhookSecret);
      navigate(`/repos/${repo.id}`);
    } catch (err) {
      setError({ message: err instanceof Error ? err.message : String(err), field: (err as { field?: string }).field });
      setBusy(false);
    }
  };

  const invalid = (name: string) => (error?.field && (error.field === name || error.field.startsWith(`${name}.`)) ? true : undefined);
  const text = (k: keyof typeof form, label: string, opts: { placeholder?: string; required?: boolean; help?: string } = {}) => (
    <div className="field">
      <label htmlFor={`rr-${k}`}>{label}</label>
      <input
        id={`rr-${k}`}
        value={form[k]}
        onChange={set(k)}
        placeholder={opts.placeholder}
        required={opts.required}
        aria-invalid={invalid(k)}
        aria-describedby={opts.help ? `rr-${k}-help` : undefined}
      />
      {opts.help && (
        <p id={`rr-${k}-help`} className="muted small">
          {opts.help}
        </p>
      )}
    </div>
  );

  return (
    <form id={id} className="card new-build register-repo" onSubmit={submit} aria-label="Register repository">
      <div className="grid-2">
        {text('fullName', 'Repository (owner/name)', {
          placeholder: 'acme/webapp',
          required: true,
          help: 'As the forge spells it: webhooks are matched on it.',
        })}
        <div className="field">
          <label htmlFor="rr-provider">Forge</label>
          <select id="rr-provider" value={form.provider} onChange={(e) => setForm({ ...form, provider: e.target.value as RepoProvider })}>
            <option value="github">GitHub</option>
            <option value="forgejo">Forgejo</option>
            <option value="gitea">Gitea</option>
            <option value="gitlab">GitLab</option>
          </select>
        </div>
        {text('cloneUrl', 'Clone URL', { placeholder: 'https://github.com/acme/webapp.git', required: true })}
        {text('defaultBranch', 'Default branch')}
        {text('image', 'Image', { placeholder: 'registry.example.com/acme/webapp', help: 'Where builds push; leave empty to build without pushing.' })}
        {text('platforms', 'Platforms')}
        {text('containerfile', 'Containerfile (optional)', { placeholder: 'Containerfile' })}
        {text('context', 'Context')}
        <div className="field">
          <label htmlFor="rr-forgeToken">Forge token (optional)</label>
          <input
            id="rr-forgeToken"
            type="password"
            autoComplete="off"
            value={form.forgeToken}
            onChange={set('forgeToken')}
            aria-describedby="rr-forgeToken-help"
          />
          <p id="rr-forgeToken-help" className="muted small">
            For commit statuses; stored encrypted, never shown again.
          </p>
        </div>
      </div>
      {error && (
        <p className="error" role="alert">
          {error.message}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Registering…' : 'Register'}
        </button>
        <button type="button" onClick={onCancel}>
          Close
        </button>
      </div>
    </form>
  );
}
