import { redisUrlProblem } from '../redis-connection.ts';
import { z } from 'zod';
import { formatBytes, formatDuration, readDuration, readSize, type Size } from '@archway/contract';

/**
 * Field types every process's configuration schema is built from, so that the same kind of value
 * is read (and refused) the same way everywhere. Messages name the problem only; the loader puts
 * the variable in front (`VAR: problem`). Unset values arrive as undefined (empty means unset).
 */

/** A required string (trimmed); `hint` says what to write: `(redis://host:6379)`. */
export const required = (hint?: string) => {
  const message = hint ? `is required ${hint}` : 'is required';
  return z.string({ error: message }).trim().min(1, message);
};

/** An optional trimmed string; `fallback` when unset. */
export function text(): z.ZodOptional<z.ZodString>;
export function text(fallback: string): z.ZodDefault<z.ZodString>;
export function text(fallback?: string) {
  const s = z.string().trim().min(1);
  return fallback === undefined ? s.optional() : s.default(fallback);
}

/** A required URL of one of `schemes` (`["redis", "rediss"]`). */
export const urlOf = (schemes: string[], hint = schemes.map((s) => `${s}://`).join(' or ')) =>
  z
    .string({ error: 'is required' })
    .trim()
    .refine((v) => schemes.some((s) => v.startsWith(`${s}://`)), `must start with ${hint}`);

/** REDIS_URL: `redis://`, `rediss://` or a Sentinel set (`redis+sentinel://h:26379,…/<primary>`); see redis-connection.ts. */
export const redisUrl = () =>
  z
    .string({ error: 'is required' })
    .trim()
    .superRefine((v, ctx) => {
      const problem = redisUrlProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem.replace(/^REDIS_URL:? /, '') });
    });

/** A whole number within [min, max], `fallback` when unset. */
export const integer = (o: { min: number; max?: number; fallback: number }) => {
  const range = o.max === undefined ? `must be at least ${o.min}` : `must be between ${o.min} and ${o.max}`;
  const n = z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(o.min, range);
  return (o.max === undefined ? n : n.max(o.max, range)).default(o.fallback);
};

const portNumber = (min: number) =>
  z.string().transform((v, ctx) => {
    const n = Number(v.trim());
    if (v.trim() === '' || !Number.isInteger(n) || n < min || n > 65535) {
      ctx.addIssue({ code: 'custom', message: `must be a port number (${min}-65535), got "${v}"` });
      return z.NEVER;
    }
    return n;
  });
/** A TCP port; `min` 0 where 0 means "any free port". Undefined when unset and no fallback. */
export function port(o: { min?: 0 | 1 }): z.ZodOptional<ReturnType<typeof portNumber>>;
export function port(o: { min?: 0 | 1; fallback: number }): z.ZodDefault<ReturnType<typeof portNumber>>;
export function port(o: { min?: 0 | 1; fallback?: number }) {
  const n = portNumber(o.min ?? 1);
  return o.fallback === undefined ? n.optional() : n.default(o.fallback);
}

/** One of a few words. */
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) => {
  const list = values.length > 1 ? `${values.slice(0, -1).join(', ')} or ${values.at(-1)}` : values[0];
  return z.enum(values, { error: `must be ${list}` }).default(fallback);
};

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];
const boolText = () =>
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => TRUE.includes(v) || FALSE.includes(v), 'must be true or false')
    .transform((v) => TRUE.includes(v));
/** true/false, 1/0, yes/no, on/off (any case); undefined when unset and no fallback. */
export function bool(): z.ZodOptional<ReturnType<typeof boolText>>;
export function bool(fallback: boolean): z.ZodDefault<ReturnType<typeof boolText>>;
export function bool(fallback?: boolean) {
  return fallback === undefined ? boolText().optional() : boolText().default(fallback);
}

/** A duration in the one grammar (@archway/contract units.ts), in milliseconds. */
export const duration = (o: { fallback: string; min?: number; max?: number }) =>
  z
    .string()
    .default(o.fallback)
    .transform((v, ctx) => {
      const r = readDuration(v);
      if (!r.ok) {
        ctx.addIssue({ code: 'custom', message: `${r.error}; write a duration like 90s, 1.5h, 1h30m or 7d` });
        return z.NEVER;
      }
      if (o.min !== undefined && r.value < o.min) {
        ctx.addIssue({ code: 'custom', message: `must be at least ${formatDuration(o.min)} (got "${v}")` });
        return z.NEVER;
      }
      if (o.max !== undefined && r.value > o.max) {
        ctx.addIssue({ code: 'custom', message: `must be at most ${formatDuration(o.max)} (got "${v}")` });
        return z.NEVER;
      }
      return r.value;
    });

const sizeText = (percent: boolean) =>
  z.string().transform((v, ctx): Size => {
    const r = readSize(v, { percent });
    if (!r.ok) {
      ctx.addIssue({ code: 'custom', message: r.error });
      return z.NEVER;
    }
    return r.value;
  });

/** A size that may be a share of a disk (`20%`); undefined when unset and no fallback. */
export function diskSize(): z.ZodOptional<ReturnType<typeof sizeText>>;
export function diskSize(fallback: string): z.ZodPipe<z.ZodDefault<z.ZodString>, ReturnType<typeof sizeText>>;
export function diskSize(fallback?: string) {
  return fallback === undefined ? sizeText(true).optional() : z.string().default(fallback).pipe(sizeText(true));
}

/** A number of bytes in the size grammar (`512MB`, `4GiB`, `1048576`), within [min, max]. */
export const bytes = (o: { fallback: number; min?: number; max?: number }) =>
  z
    .string()
    .default(String(o.fallback))
    .transform((v, ctx) => {
      const r = readSize(v);
      if (!r.ok || !('bytes' in r.value)) {
        ctx.addIssue({ code: 'custom', message: r.ok ? `"${v}" is not a size` : r.error });
        return z.NEVER;
      }
      const n = r.value.bytes;
      if (o.min !== undefined && n < o.min) ctx.addIssue({ code: 'custom', message: `must be at least ${formatBytes(o.min)} (got "${v}")` });
      else if (o.max !== undefined && n > o.max) ctx.addIssue({ code: 'custom', message: `must be at most ${formatBytes(o.max)} (got "${v}")` });
      return n;
    });
