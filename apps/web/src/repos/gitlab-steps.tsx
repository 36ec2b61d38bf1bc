/** How to add the webhook in GitLab (docs/forges.md, "2c"). */
export function GitlabSteps() {
  return (
    <ol>
      <li>
        In the project on GitLab: <strong>Settings → Webhooks → Add new webhook</strong>.
      </li>
      <li>
        <strong>URL</strong>: the URL above. <strong>Secret token</strong>: the webhook secret.
      </li>
      <li>
        <strong>Trigger</strong>: <strong>Push events</strong> (all branches), <strong>Tag push events</strong> and <strong>Merge request events</strong>. Keep{' '}
        <strong>SSL verification</strong> enabled.
      </li>
      <li>
        <strong>Test → Push events</strong> should answer 2xx; it appears under Deliveries below.
      </li>
      <li>
        Commit statuses need a project access token with the <code>api</code> scope (Developer role) as forge token.
      </li>
    </ol>
  );
}
