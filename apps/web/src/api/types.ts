/** What the session endpoints answer (apps/api/src/web/session-routes.ts). */
export interface SessionInfo {
  signedIn: true;
  csrfToken: string;
  name: string;
  expiresAt: string;
}
export type SessionState = SessionInfo | { signedIn: false };
