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
 * a client that edits the path of a masked clone URL must not store the mask. Only for the same
 * scheme, host and port: the stored token must never go to another server (or unencrypted).
 * Returns undefined when the mask cannot stand for the stored credentials.
 */
export function keepMaskedCredentials(next: string, stored: string): string | undefined {
  let n: URL;
  try {
    n = new URL(next);
  } catch {
    return next;
  }
  if (n.username !== '***' && n.password !== '***') return next;
  let s: URL;
  try {
    s = new URL(stored);
  } catch {
    return undefined;
  }
  if (n.protocol !== s.protocol || n.host !== s.host) return undefined;
  if (n.username === '***') n.username = s.username;
  if (n.password === '***') n.password = s.password;
  return n.toString();
}

/**
 * The one masking rule for text that may name a URL (git's messages, error texts, log lines): the
 * user part of every `//user[:password]@` becomes `***`, whatever the scheme — a token often
 * sits in the user name, and an ssh user is not worth telling either.
 */
export function maskUrlCredentials(text: string): string {
  return text.replace(/\/\/[^@/\s'"]+@/g, '//***@');
}
