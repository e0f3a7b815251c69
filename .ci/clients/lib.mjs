// Shared by the checks: what clients.sh hands over in the environment, a plain
// GraphQL POST, and a loud failure.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The value of an environment variable clients.sh sets, or a loud failure. */
export function env(name) {
  const value = process.env[name];
  if (!value) fail(`environment variable ${name} is not set (run this through .ci/clients.sh)`);
  return value;
}

export const URL_HTTP = () => env('PM_URL'); // http://127.0.0.1:PORT/graphql
export const URL_WS = () => env('PM_WS_URL'); // ws://127.0.0.1:PORT/graphql
export const REPO = () => env('PM_REPO'); // the repository's root
export const token = (who) => env(`PM_TOKEN_${who}`); // ADMIN, PARTNER, COUNSELOR, OTHER_COUNSELOR

export function repoFile(path) {
  return readFileSync(join(REPO(), path), 'utf8');
}

/** Stops the check: the message on stderr, exit status 1. */
export function fail(message) {
  // Straight to the stream: a check may have wrapped console.* to capture a client's output.
  process.stderr.write(`\nFAIL [${process.env.PM_CHECK ?? 'check'}]: ${message}\n\n`);
  process.exit(1);
}

export function ok(message) {
  process.stdout.write(`  ok: ${message} [${(performance.now() / 1000).toFixed(1)} s]\n`);
}

/** Asserts `condition`, else fails with `message` (and `detail`, as JSON, if given). */
export function expect(condition, message, detail) {
  if (!condition) {
    fail(detail === undefined ? message : `${message}\n  got: ${JSON.stringify(detail, null, 2)}`);
  }
}

/** POST /graphql with a bearer token; the parsed JSON body (the status must be 200). */
export async function post(tokenValue, query, variables, url = URL_HTTP()) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenValue}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  if (response.status !== 200) fail(`POST /graphql answered ${response.status}: ${text.slice(0, 2000)}`);
  try {
    return JSON.parse(text);
  } catch {
    fail(`POST /graphql answered with a body that is not JSON: ${text.slice(0, 2000)}`);
  }
}

/** Fails if a check hangs: a client waiting forever must not stall CI. */
export function deadline(seconds) {
  setTimeout(() => fail(`did not finish within ${seconds} s`), seconds * 1000).unref();
}
