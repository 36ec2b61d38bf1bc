import picomatch from 'picomatch';
import { z } from 'zod';

/** One glob (picomatch syntax: `*` stays within a path segment, `**` crosses them). */
const Pattern = z
  .string()
  .min(1, 'a pattern must not be empty')
  .max(256, 'a pattern is at most 256 characters')
  .refine((p) => !/[\0\r\n]/.test(p), 'a pattern must not contain control characters')
  .superRefine((p, ctx) => {
    try {
      picomatch.makeRe(p, { dot: true });
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `invalid pattern "${p}": ${(err as Error).message}` });
    }
  });

const Patterns = z.array(Pattern).min(1, 'give at least one pattern, or leave the setting out').max(64);

/**
 * `when:` in `.archway.yaml`: which pushes build. Each list filters only its own kind: `branches`
 * the pushes of branches, `tags` those of tags; `paths` / `paths-ignore` the files a push changed.
 */
export const When = z
  .object({
    branches: Patterns.optional(),
    tags: Patterns.optional(),
    paths: Patterns.optional(),
    'paths-ignore': Patterns.optional(),
  })
  .strict();
export type When = z.infer<typeof When>;

export const WHEN_KEYS = ['branches', 'tags', 'paths', 'paths-ignore'] as const;
