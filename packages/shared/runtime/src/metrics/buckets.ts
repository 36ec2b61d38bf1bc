/**
 * Histogram buckets, in seconds, shared by every process so that dashboards and alert rules can
 * compare the same `le` boundaries across platforms and processes.
 */

/**
 * Build work: a cached step takes a second, a cold build of a big image most of an hour. Eleven
 * buckets: the API carries every agent's histograms, so each bucket costs a series per agent.
 */
export const BUILD_SECONDS_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600];

/** HTTP requests and registry calls: milliseconds to a few seconds. */
export const REQUEST_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
