import { createSign, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { selfSignedCert } from '../../../../../test/support/self-signed.ts';

export interface TokenServer {
  realm: string;
  /** The registry config fragment trusting this server's tokens. */
  registryConfig: string;
  /** Requests seen: `GET user|anonymous scope…` or `POST refresh scope…`. */
  seen: string[];
  close(): Promise<void>;
}

const SERVICE = 'archway-test-registry';
const ISSUER = 'archway-test-tokens';

/**
 * A small implementation of distribution's token auth: GET with Basic credentials (or none),
 * POST with an OAuth2 refresh token. Issues ES256 JWTs the real registry verifies against a
 * certificate made here. Anonymous callers get pull only; `user`/`password` or the refresh token
 * get what they ask for.
 */
export async function startTokenServer(dir: string, opts: { user: string; password: string; refreshToken: string }): Promise<TokenServer> {
  const { keyPem, certPem, certFile } = await selfSignedCert(dir, 'token', 'archway test tokens');
  const certDer = certPem.replace(/-----[^-]+-----|\s/g, '');
  const seen: string[] = [];

  const issue = (scopes: string[], trusted: boolean) => {
    const access = scopes.map((s) => {
      const [type, name, actions] = s.split(':');
      const wanted = (actions ?? '').split(',');
      return { type, name, actions: trusted ? wanted : wanted.filter((a) => a === 'pull') };
    });
    const now = Math.floor(Date.now() / 1000);
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const head = b64({ typ: 'JWT', alg: 'ES256', x5c: [certDer] });
    const body = b64({ iss: ISSUER, sub: trusted ? opts.user : '', aud: SERVICE, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access });
    const sig = createSign('SHA256').update(`${head}.${body}`).sign({ key: keyPem, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    return `${head}.${body}.${sig}`;
  };

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' '));
    let trusted = false;
    let who = 'anonymous';
    if (req.method === 'POST') {
      let text = '';
      for await (const c of req) text += c;
      const form = new URLSearchParams(text);
      scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
      trusted = form.get('grant_type') === 'refresh_token' && form.get('refresh_token') === opts.refreshToken;
      who = 'refresh';
      if (!trusted) return void res.writeHead(401).end('{"errors":[{"code":"UNAUTHORIZED","message":"bad refresh token"}]}');
    } else if (req.headers.authorization) {
      const [user, ...rest] = Buffer.from(req.headers.authorization.replace(/^Basic /, ''), 'base64')
        .toString()
        .split(':');
      if (user !== opts.user || rest.join(':') !== opts.password) {
        return void res.writeHead(401).end('{"errors":[{"code":"UNAUTHORIZED","message":"invalid username or password"}]}');
      }
      trusted = true;
      who = user;
    }
    seen.push(`${req.method} ${who} ${scopes.join(' ')}`);
    const token = issue(scopes, trusted);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const realm = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  return {
    realm,
    seen,
    registryConfig: `auth:\n  token:\n    realm: ${realm}\n    service: ${SERVICE}\n    issuer: ${ISSUER}\n    rootcertbundle: ${certFile}\n`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
