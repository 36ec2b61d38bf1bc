export { pathFilter, refFilter, type PushedRef } from './filters.ts';
export { When, WHEN_KEYS } from './schema.ts';
export { SKIP_MARKERS, skipMarkerOf } from './skip-markers.ts';
