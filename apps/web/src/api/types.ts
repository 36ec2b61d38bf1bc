/** What the session endpoints answer (apps/api/src/web/session-routes.ts). */
export interface SessionInfo {
  csrfToken: string;
  name: string;
  expiresAt: string;
}
