import { describe, expect, it } from 'vitest';
import { createRedactor } from './redact.ts';

describe('createRedactor', () => {
  it('masks a value as is and in base64 (standard, unpadded, URL-safe)', () => {
    const value = 'tok>en?s3cr3t~~';
    const r = createRedactor([value]);
    expect(r(`got ${value} here`)).toBe('got *** here');
    expect(r(Buffer.from(value).toString('base64'))).toBe('***');
    expect(r(Buffer.from(value).toString('base64').replace(/=+$/, ''))).toBe('***');
    expect(r(Buffer.from(value).toString('base64url'))).toBe('***');
    expect(r('nothing secret')).toBe('nothing secret');
  });

  it('masks each line of a multi-line value, and the value with its trailing newline', () => {
    const key = '-----BEGIN KEY-----\nAAAAbbbbCCCC\n-----END KEY-----\n';
    const r = createRedactor([key]);
    expect(r('line: AAAAbbbbCCCC')).toBe('line: ***');
    expect(r(Buffer.from(key.trimEnd()).toString('base64'))).toBe('***');
  });

  it('masks the longer of two overlapping values whole', () => {
    const r = createRedactor(['abcd', 'abcdefgh']);
    expect(r('x abcdefgh y abcd')).toBe('x *** y ***');
  });
});
