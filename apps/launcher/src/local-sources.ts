/**
 * `npm start` on one machine, listening on loopback only, is someone building their own
 * checkouts (file://) or a forge on the same machine: there local sources are allowed unless
 * ARCHWAY_ALLOW_LOCAL_SOURCES says otherwise. Listening on other interfaces makes it a server
 * others reach, where the API's default (refused) applies.
 */
export function embeddedLocalSourcesEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.ARCHWAY_ALLOW_LOCAL_SOURCES) return {};
  const host = (env.HOST || '127.0.0.1').toLowerCase();
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  return loopback ? { ARCHWAY_ALLOW_LOCAL_SOURCES: 'true' } : {};
}
