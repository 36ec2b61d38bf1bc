import { z } from 'zod';
import { BuildArgs, ImageGroupName, ImageNameString, Platform, RepoPath, StageName, TAG_RE } from '@archway/contract';
import { When } from '../when/index.ts';

/** Placeholders a tag template may use; a tag whose placeholder has no value for a push is skipped. */
export const TAG_PLACEHOLDERS = ['branch', 'tag', 'sha', 'pr'] as const;
export type TagPlaceholder = (typeof TAG_PLACEHOLDERS)[number];
const PLACEHOLDER_RE = /\{([^{}]*)\}/g;

const TagTemplate = z.string().superRefine((value, ctx) => {
  for (const [, name] of value.matchAll(PLACEHOLDER_RE)) {
    if (!(TAG_PLACEHOLDERS as readonly string[]).includes(name!)) {
      ctx.addIssue({ code: 'custom', message: `unknown placeholder "{${name}}": use ${TAG_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}` });
      return;
    }
  }
  if (!TAG_RE.test(value.replace(PLACEHOLDER_RE, 'x'))) {
    ctx.addIssue({ code: 'custom', message: `invalid tag "${value}": use letters, digits, "_", "." and "-" (max 128)` });
  }
});

/** Scalars YAML users write for build args (`DEBUG: 1`, `FLAG: true`) count as their text. */
const BuildArgValue = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));

/** What one image is built from; at the top level, the defaults of every image. */
const imageSettings = {
  containerfile: RepoPath.optional(),
  context: RepoPath.optional(),
  target: StageName.optional(),
  platforms: z
    .array(Platform)
    .min(1, 'give at least one platform')
    .max(16)
    .refine((p) => new Set(p).size === p.length, 'platforms must not repeat')
    .optional(),
  buildArgs: z.record(z.string(), BuildArgValue).pipe(BuildArgs).optional(),
  tags: z.array(TagTemplate).max(64).optional(),
};

/** One entry of `images:`: a name, its destination (`image`, the repository it is pushed to) and its own settings. */
const YamlImage = z.object({ name: ImageGroupName, image: ImageNameString.optional(), ...imageSettings }).strict();
export type YamlImage = z.infer<typeof YamlImage>;
export const IMAGE_KEYS = ['name', 'image', ...Object.keys(imageSettings)];

/** `.archway.yaml` at the root of the commit: overrides the repository's build settings. */
export const ArchwayYaml = z
  .object({
    ...imageSettings,
    images: z
      .array(YamlImage)
      .min(2, 'list at least two images (one image needs no list)')
      .max(16)
      .superRefine((images, ctx) => {
        const seen = new Set<string>();
        images.forEach((img, i) => {
          if (seen.has(img.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `image name "${img.name}" is used twice` });
          seen.add(img.name);
        });
      })
      .optional(),
    when: When.optional(),
  })
  .strict();
export type ArchwayYaml = z.infer<typeof ArchwayYaml>;

/** Renders tag templates; templates that need a value the push does not have are left out. */
export function renderTagTemplates(templates: string[], values: Partial<Record<TagPlaceholder, string>>): string[] {
  const out: string[] = [];
  for (const template of templates) {
    let missing = false;
    const tag = template.replace(PLACEHOLDER_RE, (_, name: TagPlaceholder) => {
      const v = values[name];
      if (!v) missing = true;
      return v ?? '';
    });
    if (!missing && TAG_RE.test(tag) && !out.includes(tag)) out.push(tag);
  }
  return out;
}
