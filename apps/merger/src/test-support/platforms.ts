import { parsePlatform } from '@archway/contract';

/** The platforms the tests publish, parsed once like every edge does. */
export const AMD64 = parsePlatform('linux/amd64');
export const ARM64 = parsePlatform('linux/arm64');
