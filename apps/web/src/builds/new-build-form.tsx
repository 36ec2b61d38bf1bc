import type { BuildRequestInput } from '@archway/contract';
import { useState, type FormEvent } from 'react';
import { createBuild } from '../api/endpoints.ts';
import { useRouter } from '../router/router.tsx';

const split = (s: string) =>
  s
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);

/** Starts a build by hand (the same request as POST /api/v1/builds). */
export function NewBuildForm({ id, onCancel }: { id: string; onCancel(): void }) {
  const { navigate } = useRouter();
  const [form, setForm] = useState({
    url: '',
    ref: 'main',
    containerfile: '',
    platforms: 'linux/amd64, linux/arm64',
    image: '',
    tags: 'latest',
    push: true,
  });
  const [error, setError] = useState<{ message: string; field?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (e: { target: { value: string; checked?: boolean; type?: string } }) =>
    setForm({ ...form, [k]: e.target.type === 'checkbox' ? e.target.checked : e.target.value });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body: BuildRequestInput = {
      source: { url: form.url.trim(), ref: form.ref.trim() || 'main' },
      platforms: split(form.platforms),
      tags: split(form.tags),
      push: form.push,
    };
    if (form.containerfile.trim()) body.containerfile = form.containerfile.trim();
    if (form.image.trim()) body.image = form.image.trim();
    try {
      const created = await createBuild(body);
      navigate(`/builds/${created.id}`);
    } catch (err) {
      const field = (err as { field?: string }).field;
      setError({ message: err instanceof Error ? err.message : String(err), field });
      setBusy(false);
    }
  };

  const invalid = (name: string) => (error?.field && (error.field === name || error.field.startsWith(`${name}.`)) ? true : undefined);
  return (
    <form id={id} className="card new-build" onSubmit={submit} aria-label="New build">
      <div className="grid-2">
        <div className="field wide">
          <label htmlFor="nb-url">Git repository URL</label>
          <input
            id="nb-url"
            required
            value={form.url}
            onChange={set('url')}
            placeholder="https://git.example.com/team/app.git"
            aria-invalid={invalid('source')}
          />
        </div>
        <div className="field">
          <label htmlFor="nb-ref">Branch, tag or ref</label>
          <input id="nb-ref" value={form.ref} onChange={set('ref')} />
        </div>
        <div className="field">
          <label htmlFor="nb-cf">Containerfile (optional)</label>
          <input id="nb-cf" value={form.containerfile} onChange={set('containerfile')} placeholder="Containerfile" aria-invalid={invalid('containerfile')} />
        </div>
        <div className="field">
          <label htmlFor="nb-platforms">Platforms</label>
          <input id="nb-platforms" value={form.platforms} onChange={set('platforms')} aria-invalid={invalid('platforms')} />
        </div>
        <div className="field">
          <label htmlFor="nb-image">Image</label>
          <input id="nb-image" value={form.image} onChange={set('image')} placeholder="registry.example.com/team/app" aria-invalid={invalid('image')} />
        </div>
        <div className="field">
          <label htmlFor="nb-tags">Tags</label>
          <input id="nb-tags" value={form.tags} onChange={set('tags')} aria-invalid={invalid('tags')} />
        </div>
        <div className="field checkbox">
          <input id="nb-push" type="checkbox" checked={form.push} onChange={set('push')} />
          <label htmlFor="nb-push">Push to the registry when every platform is built</label>
        </div>
      </div>
      {error && (
        <p className="error" role="alert">
          {error.message}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Starting…' : 'Start build'}
        </button>
        <button type="button" onClick={onCancel}>
          Close
        </button>
      </div>
    </form>
  );
}
