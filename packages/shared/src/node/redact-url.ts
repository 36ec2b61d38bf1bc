/** A URL without its password (and without an http username, often a token), for log lines. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.username && u.protocol.startsWith('http')) u.username = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/**
 * A URL sent back as the API showed it (credentials `***`) means "keep the stored credentials":
 * a client that edits another part of a masked clone URL must not store the mask.
 */
export function keepMaskedCredentials(next: string, stored: string): string {
  let n: URL;
  let s: URL;
  try {
    n = new URL(next);
    s = new URL(stored);
  } catch {
    return next;
  }
  if (n.username !== '***' && n.password !== '***') return next;
  if (n.username === '***') n.username = s.username;
  if (n.password === '***') n.password = s.password;
  return n.toString();
}
