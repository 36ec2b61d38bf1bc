/**
 * The Content-Security-Policy of the pages the API serves (the dashboard, the API reference page):
 * nothing from other origins, no inline script; frame-ancestors stops clickjacking of the Rebuild
 * and Cancel buttons. Inline styles are React's computed widths (timeline bars) and Swagger UI's.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');
