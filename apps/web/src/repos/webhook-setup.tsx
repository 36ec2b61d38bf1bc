import type { Repo } from '@archway/contract';
import { useState } from 'react';
import { updateRepo } from '../api/endpoints.ts';
import { CopyButton } from '../ui/copy-button.tsx';
import { GitlabSteps } from './gitlab-steps.tsx';

/**
 * Where the forge must send its webhook and how to add it there (docs/forges.md, in short).
 * The secret is known only right after registering or rotating; afterwards the page says so.
 */
export function WebhookSetup({ repo, secret, onSecret }: { repo: Repo; secret: string | null; onSecret(secret: string | null): void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const github = repo.provider === 'github';

  const rotate = async () => {
    setBusy(true);
    setError(null);
    try {
      const updated = await updateRepo(repo.id, { rotateWebhookSecret: true });
      onSecret(updated.webhookSecret ?? null);
      setConfirming(false);
    } catch (err) {
      setError(`Could not rotate the secret: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card webhook" aria-labelledby="webhook-title">
      <h2 id="webhook-title">Webhook</h2>
      <dl className="kv">
        <div>
          <dt>{github ? 'Payload URL' : 'Target URL'}</dt>
          <dd>
            <code data-testid="webhook-url">{repo.webhookUrl}</code> <CopyButton value={repo.webhookUrl} label="webhook URL" />
          </dd>
        </div>
        <div>
          <dt>Secret</dt>
          {secret ? (
            <dd className="secret-once" role="status">
              <code data-testid="webhook-secret">{secret}</code> <CopyButton value={secret} label="webhook secret" />
              <span className="small">Shown only now: paste it into the forge's webhook form. Archway keeps it encrypted and will not show it again.</span>
              <button type="button" className="link-button" onClick={() => onSecret(null)}>
                I have saved it
              </button>
            </dd>
          ) : (
            <dd>
              <span className="muted">Set when the repository was registered; it is not shown again.</span>{' '}
              {confirming ? (
                <span className="confirm">
                  The forge's deliveries fail until you paste the new secret there.{' '}
                  <button type="button" className="danger" disabled={busy} onClick={() => void rotate()}>
                    {busy ? 'Rotating…' : 'Rotate now'}
                  </button>{' '}
                  <button type="button" onClick={() => setConfirming(false)}>
                    Keep the current one
                  </button>
                </span>
              ) : (
                <button type="button" onClick={() => setConfirming(true)}>
                  New secret…
                </button>
              )}
            </dd>
          )}
        </div>
      </dl>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <details className="webhook-howto" open={secret !== null}>
        <summary>How to add it in {FORGE_NAMES[repo.provider]}</summary>
        {github ? <GithubSteps /> : repo.provider === 'gitlab' ? <GitlabSteps /> : <ForgejoSteps provider={FORGE_NAMES[repo.provider]} />}
      </details>
    </section>
  );
}

const FORGE_NAMES: Record<Repo['provider'], string> = { github: 'GitHub', forgejo: 'Forgejo', gitea: 'Gitea', gitlab: 'GitLab' };

function GithubSteps() {
  return (
    <ol>
      <li>
        In the repository on GitHub: <strong>Settings → Webhooks → Add webhook</strong>.
      </li>
      <li>
        <strong>Payload URL</strong>: the URL above. <strong>Content type</strong>: <code>application/json</code> (the form encoding is refused).
      </li>
      <li>
        <strong>Secret</strong>: the webhook secret. Keep <strong>SSL verification</strong> enabled.
      </li>
      <li>
        <strong>Which events</strong>: <em>Let me select individual events</em> → <strong>Pushes</strong> and <strong>Pull requests</strong>.
      </li>
      <li>
        GitHub sends a ping at once: <strong>Recent Deliveries</strong> should show <code>200</code>, and it appears under Deliveries below.
      </li>
      <li>
        Commit statuses need a forge token with <strong>Commit statuses: Read and write</strong> (classic tokens: <code>repo:status</code>).
      </li>
    </ol>
  );
}

function ForgejoSteps({ provider }: { provider: string }) {
  return (
    <ol>
      <li>
        In the repository: <strong>Settings → Webhooks → Add webhook → {provider}</strong>.
      </li>
      <li>
        <strong>Target URL</strong>: the URL above. <strong>HTTP method</strong>: <code>POST</code>. <strong>POST content type</strong>:{' '}
        <code>application/json</code>.
      </li>
      <li>
        <strong>Secret</strong>: the webhook secret. <strong>Branch filter</strong>: <code>*</code>.
      </li>
      <li>
        <strong>Trigger on</strong>: <em>Custom events</em> → <strong>Push</strong>, <strong>Pull request</strong> and{' '}
        <strong>Pull request synchronized</strong>.
      </li>
      <li>
        <strong>Test delivery</strong> should answer 2xx; it appears under Deliveries below.
      </li>
      <li>
        Commit statuses need an access token with the <code>write:repository</code> scope as forge token.
      </li>
    </ol>
  );
}
