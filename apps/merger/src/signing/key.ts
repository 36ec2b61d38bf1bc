import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

/**
 * The operator's signing key (ARCHWAY_SIGNING_KEY or ARCHWAY_SIGNING_KEY_FILE): an unencrypted
 * ECDSA P-256 private key in PEM (PKCS#8 `BEGIN PRIVATE KEY` or SEC1 `BEGIN EC PRIVATE KEY`). It
 * lives only with the merger, like the push credentials. cosign's own encrypted `cosign.key` is not
 * read: convert it once (docs/supply-chain.md).
 */
export interface SigningKey {
  privateKey: KeyObject;
  /** PKIX PEM of the public key: what `cosign verify --key` is given. */
  publicPem: string;
}

/** Parses and checks the key; the message says what is wrong (the config loader names the variable). */
export function parseSigningKey(pem: string): SigningKey {
  if (!/-----BEGIN (EC |)PRIVATE KEY-----/.test(pem)) {
    if (/ENCRYPTED/.test(pem)) throw new Error('is an encrypted private key; give an unencrypted ECDSA P-256 key in PEM');
    throw new Error('is not a PEM private key (expected "-----BEGIN PRIVATE KEY-----" or "-----BEGIN EC PRIVATE KEY-----")');
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new Error(`is not a readable PEM private key (${(err as Error).message})`);
  }
  const details = privateKey.asymmetricKeyDetails;
  if (privateKey.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1') {
    throw new Error(
      `is a ${privateKey.asymmetricKeyType}${details?.namedCurve ? ` ${details.namedCurve}` : ''} key; cosign-compatible signing needs ECDSA P-256 (prime256v1)`,
    );
  }
  const publicPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  return { privateKey, publicPem };
}
