// 3. The graphql-ws client (the reference graphql-transport-ws client, with `ws`):
// a match run's progress followed to the end, the protocol's refusal close codes,
// and a clean close on dispose().
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { deadline, env, expect, ok, post } from './lib.mjs';

// The generated district's server (clients.sh), whose runs take a few seconds.
const URL_HTTP = env('PM_RUN_URL');
const URL_WS = env('PM_RUN_WS_URL');
const token = (who) => env(`PM_RUN_TOKEN_${who}`);

deadline(90);
const SCHOOL = 'sch-1';
const PROGRESS = 'subscription ($id: ID!) { matchRunProgress(id: $id) { runId status phase done total } }';

/** A graphql-ws client; `closed` resolves with the CloseEvent the client saw. */
function client(connectionParams) {
  let seen;
  const closed = new Promise((resolve) => {
    seen = resolve;
  });
  const c = createClient({
    url: URL_WS,
    webSocketImpl: WebSocket,
    connectionParams,
    lazy: true,
    retryAttempts: 0,
    on: { closed: (event) => seen(event) },
  });
  return { client: c, closed };
}

const bearer = (t) => ({ Authorization: `Bearer ${t}` });

/** Runs one subscription to its end: the events, then 'complete', or the error. */
function follow(c, query, variables) {
  return new Promise((resolve) => {
    const events = [];
    c.subscribe(
      { query, variables },
      {
        next: (value) => events.push(value),
        error: (error) => resolve({ events, error }),
        complete: () => resolve({ events, completed: true }),
      },
    );
  });
}

const describe = (error) =>
  error && typeof error.code === 'number'
    ? `close ${error.code} ${JSON.stringify(error.reason ?? '')}`
    : JSON.stringify(error);

// --- A real run, followed as ADMIN from the subscription's start to its end.
const started = await post(
  token('ADMIN'),
  `mutation { runMatching(input: {schoolId: "${SCHOOL}", dryRun: true}) { id status } }`,
  undefined,
  URL_HTTP,
);
expect(!started.errors && started.data?.runMatching?.id, 'runMatching (dry run) as ADMIN failed', started);
const runId = started.data.runMatching.id;
{
  const { client: c, closed } = client(bearer(token('ADMIN')));
  const result = await follow(c, PROGRESS, { id: runId });
  expect(result.completed, `matchRunProgress(${runId}) as ADMIN did not complete: ${describe(result.error)}`, result.events);
  expect(result.events.length > 0, `matchRunProgress(${runId}) completed without a single event`);
  for (const event of result.events) {
    expect(!event.errors && event.data?.matchRunProgress?.runId === runId, 'a progress event is not about the run', event);
  }
  const last = result.events.at(-1).data.matchRunProgress;
  expect(
    last.status === 'SUCCEEDED' && last.phase === 'DONE' && last.done === last.total,
    `the last progress event is not the finished run (status SUCCEEDED, phase DONE, done == total)`,
    result.events,
  );
  const dones = result.events.map((e) => e.data.matchRunProgress.done);
  expect(dones.every((d, i) => i === 0 || d >= dones[i - 1]), 'progress went backwards', dones);
  const first = result.events[0].data.matchRunProgress;
  expect(
    first.status !== 'RUNNING' || result.events.length >= 2,
    'the run was RUNNING when the subscription started, yet only one event came',
    result.events,
  );
  ok(
    `matchRunProgress(${runId}) as ADMIN (runMatching answered ${started.data.runMatching.status}): ${result.events.length} event(s) ` +
      `[${result.events.map((e) => `${e.data.matchRunProgress.phase} ${e.data.matchRunProgress.done}/${e.data.matchRunProgress.total}`).join(', ')}], then complete`,
  );

  // --- dispose() of this healthy client: the client sees the normal close 1000.
  // (The socket is still open: a lazy client keeps it until dispose.)
  const viewer = await follow(c, '{ viewer { role } }');
  expect(viewer.completed && viewer.events[0]?.data?.viewer?.role === 'ADMIN', 'a query over the socket as ADMIN failed', viewer);
  await c.dispose();
  const event = await closed;
  expect(event.code === 1000, `dispose() of a healthy client ended with close ${event.code} ${JSON.stringify(event.reason ?? '')}, not 1000`);
  ok('dispose() of a healthy client: the client saw close 1000');
}

// --- The counselor of the run's school may follow it (so that 4403 below is about the school).
{
  const { client: c, closed } = client(bearer(token('COUNSELOR')));
  const result = await follow(c, PROGRESS, { id: runId });
  expect(result.completed && result.events.length > 0, `the counselor of ${SCHOOL} could not follow the run: ${describe(result.error)}`, result.events);
  await c.dispose();
  await closed;
  ok(`the counselor of ${SCHOOL} follows the run to its end`);
}

// --- Refusals: each must end in the protocol's close code, seen by the client.
async function refused(what, connectionParams, expected) {
  const { client: c, closed } = client(connectionParams);
  const result = await follow(c, PROGRESS, { id: runId });
  const event = await closed;
  expect(!result.completed, `${what}: the subscription completed (${result.events.length} events) instead of being refused with ${expected}`, result.events);
  expect(
    event.code === expected,
    `${what}: the client saw close ${event.code} ${JSON.stringify(event.reason ?? '')}, expected ${expected}`,
  );
  ok(`${what}: close ${event.code} ${JSON.stringify(event.reason ?? '')}`);
  await c.dispose();
}
await refused('connection_init without a token', undefined, 4401);
await refused('connection_init with a bad token', bearer('not-a-token'), 4401);
await refused('connection_init with a tampered signature', bearer(token('ADMIN').replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))), 4401);
await refused(`a counselor of another school following a ${SCHOOL} run`, bearer(token('OTHER_COUNSELOR')), 4403);
await refused('a partner following a run', bearer(token('PARTNER')), 4403);
