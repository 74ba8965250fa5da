/** Who is acting: the CI identity when there is one, else the local user. */
import os from 'node:os';
import type { Actor } from './types.js';

export function currentActor(env: NodeJS.ProcessEnv = process.env): Actor {
  const host = os.hostname();
  if (env.MLOPS_ACTOR) return { actor: env.MLOPS_ACTOR, host, ...ciUrl(env) };
  if (env.GITHUB_ACTOR) return { actor: `github:${env.GITHUB_ACTOR}`, host, ...ciUrl(env) };
  if (env.GITLAB_USER_LOGIN) return { actor: `gitlab:${env.GITLAB_USER_LOGIN}`, host, ...ciUrl(env) };
  if (env.BUILD_USER_ID) return { actor: `jenkins:${env.BUILD_USER_ID}`, host, ...ciUrl(env) };
  let user = env.USER ?? env.LOGNAME ?? 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (containers): keep the environment's name
  }
  return { actor: user, host, ...ciUrl(env) };
}

function ciUrl(env: NodeJS.ProcessEnv): { ci_url?: string } {
  if (env.GITHUB_RUN_ID && env.GITHUB_REPOSITORY) {
    return {
      ci_url: `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`,
    };
  }
  const url = env.CI_JOB_URL ?? env.BUILD_URL ?? env.CIRCLE_BUILD_URL ?? env.BUILDKITE_BUILD_URL;
  return url ? { ci_url: url } : {};
}

/** The commit being built, from the CI environment. */
export function ciGitCommit(env: NodeJS.ProcessEnv = process.env): string | null {
  return env.GITHUB_SHA ?? env.CI_COMMIT_SHA ?? env.GIT_COMMIT ?? env.CIRCLE_SHA1 ?? env.BUILDKITE_COMMIT ?? null;
}
