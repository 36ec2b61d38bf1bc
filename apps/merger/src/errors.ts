/**
 * A publish that cannot succeed by retrying (a bad image name, a missing task result): the job
 * fails for good with this message as the build's reason.
 */
export class FinalPublishError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FinalPublishError';
  }
}

/** A per-platform archive that cannot be published as it is: a bad entry, a wrong digest or platform. */
export class BadArchiveError extends FinalPublishError {
  constructor(message: string) {
    super(message);
    this.name = 'BadArchiveError';
  }
}

/** The build was canceled while it published: no tag is written, and the build stays canceled. */
export class PublishCanceled extends Error {
  constructor() {
    super('canceled');
    this.name = 'PublishCanceled';
  }
}
