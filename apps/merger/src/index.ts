export { BadArchiveError, FinalPublishError } from './errors.ts';
export { loadMergerEnv, type MergerConfig } from './env.ts';
export { buildImageIndex } from './image-index.ts';
export { processPublishJob, type PublishDeps, type PublishJobResult } from './process-publish.ts';
export { publishBuild, type PublishHooks, type PublishInput, type PublishOutcome } from './publish.ts';
export { pushPlatform, type PlatformImage, type PushPlatformInput } from './push-platform.ts';
export { scanArchive, verifiedStream, type ArchiveContents, type BlobEntry } from './archive-reader.ts';
export { startMerger, type MergerHandle, type StartMergerOptions } from './worker.ts';
