import { GIT_ALLOWED_PROTOCOLS } from '../git-protocols.ts';

/**
 * The environment of every git the API and agents run. Never waits for a person (no terminal
 * prompt, no askpass program, ssh in batch mode): a private repository fails at once with git's own
 * message. Only data transports (`ext::` runs commands). The machine's system and global git
 * configuration are ignored, so a stray `url.insteadOf` or credential helper on one host cannot
 * change what a build fetches. `GIT_SSH_COMMAND` may still be set by the operator (keys, known hosts).
 */
export function gitEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const { GIT_ASKPASS: _a, SSH_ASKPASS: _s, GIT_CONFIG_PARAMETERS: _p, GIT_CONFIG_COUNT: _c, ...env } = base;
  return {
    ...env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_SSH_COMMAND: base.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes',
    GIT_ALLOW_PROTOCOL: GIT_ALLOWED_PROTOCOLS,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    LC_ALL: 'C',
  };
}
