export { deriveTags, sanitizeTag, type TagTrigger } from './tag-rules.ts';
export { formatVersion, parseVersion } from './semver.ts';
