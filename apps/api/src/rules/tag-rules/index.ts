export { deriveTags, sanitizeTag, type TagTrigger } from './tag-rules.ts';
