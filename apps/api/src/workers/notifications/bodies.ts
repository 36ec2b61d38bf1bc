import type { NotificationEvent, NotificationFormat, NotificationPayload } from '@archway/contract';

const TITLES: Record<NotificationEvent, string> = {
  'build.succeeded': 'build succeeded',
  'build.failed': 'build failed',
  'build.canceled': 'build canceled',
  'image.published': 'image published',
};

/** One line a person reads in a chat: repository, what happened, ref and commit, the image or the error. */
function summary(p: NotificationPayload): { text: string; html: string } {
  const b = p.build;
  const what = `${p.repository.fullName}: ${TITLES[p.event]} (${b.ref}${b.commit ? ` @ ${b.commit.slice(0, 7)}` : ''})`;
  const detail =
    p.event === 'image.published' && b.image ? ` ${b.image}:${b.tags.join(', ')}${b.indexDigest ? ` (${b.indexDigest})` : ''}` : b.error ? ` — ${b.error}` : '';
  const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return { text: `${what}${detail} ${b.url}`, html: `${html(what)}${html(detail)} <a href="${html(b.url)}">build</a>` };
}

/**
 * The request body for a notification's format: Archway's own JSON, a Slack incoming-webhook
 * message (`text` with Slack's `<url|label>` link), or a Matrix message (`m.notice` with an HTML
 * body; `text`/`html` too, which matrix-hookshot's generic webhooks read).
 */
export function notificationBody(format: NotificationFormat, p: NotificationPayload): unknown {
  if (format === 'json') return p;
  const s = summary(p);
  if (format === 'slack') return { text: s.text.replace(` ${p.build.url}`, ` <${p.build.url}|build>`) };
  return { msgtype: 'm.notice', body: s.text, format: 'org.matrix.custom.html', formatted_body: s.html, text: s.text, html: s.html };
}
