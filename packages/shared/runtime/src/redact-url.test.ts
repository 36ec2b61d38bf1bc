import { describe, expect, it } from 'vitest';
import { maskUrlCredentials, redactUrl } from './redact-url.ts';

describe('maskUrlCredentials', () => {
  it('masks credentials in URLs inside text (moved from the agent: one rule for API and agent)', () => {
    expect(maskUrlCredentials("fatal: unable to access 'https://bob:ghp_secret@git.example.com/x.git/'")).toBe(
      "fatal: unable to access 'https://***@git.example.com/x.git/'",
    );
    expect(maskUrlCredentials('ssh://git@host/repo')).toBe('ssh://***@host/repo');
    expect(maskUrlCredentials('file:///tmp/repo')).toBe('file:///tmp/repo');
    expect(maskUrlCredentials('a https://t0ken@h/x and http://u:p@h2/y')).toBe('a https://***@h/x and http://***@h2/y');
  });

  it('leaves redactUrl, the form the API shows stored URLs in, as it was', () => {
    expect(redactUrl('https://bot:tok@git.example.com/a.git')).toBe('https://***:***@git.example.com/a.git');
  });
});
