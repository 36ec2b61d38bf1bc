/**
 * A per-platform archive that cannot be published as it is: a bad entry, a digest that does not
 * match, an image for the wrong platform. Retrying does not help, so the job fails for good.
 */
export class BadArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadArchiveError';
  }
}
