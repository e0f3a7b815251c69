// 5. Headless Chromium (Debian's, driven by playwright-core) with every request
// to anything but 127.0.0.1 aborted: GraphiQL renders from the binary alone, a
// query typed into it with the ADMIN token in its headers editor returns data, the
// docs pane lists Query, and a subscription runs over its websocket.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { URL_HTTP, deadline, expect, fail, ok, post, token } from './lib.mjs';

deadline(120);
const TIMEOUT = 15_000;
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
});
const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
const page = await context.newPage();
page.setDefaultTimeout(TIMEOUT);

// The network: only loopback. Anything else is aborted and counted.
const blocked = [];
const local = [];
await context.route('**/*', (route) => {
  const url = new URL(route.request().url());
  if (url.hostname === '127.0.0.1') {
    local.push(url.pathname);
    return route.continue();
  }
  if (url.protocol === 'data:') return route.continue();
  blocked.push(route.request().url());
  return route.abort('blockedbyclient');
});
const problems = [];
page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
page.on('console', (message) => {
  if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
});

async function failWith(message) {
  const dir = mkdtempSync(join(tmpdir(), 'graphiql-'));
  const shot = join(dir, 'page.png');
  await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
  await browser.close().catch(() => {});
  fail(`${message}\n  screenshot: ${shot}\n  blocked requests: ${JSON.stringify(blocked)}\n  page problems: ${JSON.stringify(problems)}`);
}
async function step(what, action) {
  try {
    return await action();
  } catch (err) {
    return failWith(`${what}: ${err.message.split('\n')[0]}`);
  }
}

/** Replaces an editor's text as a person does (click, select all, type) and checks it. */
async function typeInto(what, editor, text) {
  await step(`typing into the ${what}`, async () => {
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Backspace');
    // insertText: one input event, as a paste; key by key, CodeMirror would add
    // closing brackets that the text already has.
    await page.keyboard.insertText(text);
  });
  // GraphiQL parses the query editor's text (the document it decides HTTP or
  // websocket by) 100 ms after the last edit; a person takes longer than that.
  await page.waitForTimeout(500);
  const value = await editor.evaluate((element) => element.CodeMirror?.getValue());
  expect(value === text, `the ${what} holds ${JSON.stringify(value)} after typing ${JSON.stringify(text)}`);
}

const response = await step(`opening ${URL_HTTP()}`, () => page.goto(URL_HTTP(), { waitUntil: 'load' }));
expect(response.status() === 200, `GET /graphql answered ${response.status()}`);
const queryEditor = page.locator('.graphiql-query-editor .CodeMirror');
await step('GraphiQL did not render (no query editor)', () => queryEditor.waitFor({ state: 'visible' }));
const headersEditor = page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror');
await step('the headers editor is not shown', () => headersEditor.waitFor({ state: 'visible' }));
const template = await headersEditor.evaluate((element) => element.CodeMirror.getValue());
expect(/"Authorization":\s*"Bearer /.test(template), `the headers editor is not pre-filled with an Authorization template: ${template}`);
ok(`GraphiQL rendered from ${new Set(local).size} loopback URLs; headers editor pre-filled with an Authorization template`);

// The token, then a query, run with the execute button.
await typeInto('headers editor', headersEditor, JSON.stringify({ Authorization: `Bearer ${token('ADMIN')}` }));
await typeInto('query editor', queryEditor, '{ viewer { role } }');
await step('clicking the execute button', () => page.locator('.graphiql-execute-button').click());
const result = page.locator('.graphiql-response');
await step('the result pane never showed "role": "ADMIN"', () =>
  result.getByText('"ADMIN"').waitFor({ state: 'visible' }),
);
ok('a query typed into GraphiQL with the ADMIN token in the headers editor: the result pane shows "role": "ADMIN"');

// The docs pane: the schema fetched with the token (the re-fetch button, as a person
// who pasted a token after the page loaded would press), then the docs button.
await step('clicking "Re-fetch GraphQL schema"', () => page.getByLabel('Re-fetch GraphQL schema').click());
await step('clicking "Show Documentation Explorer"', () => page.getByLabel('Show Documentation Explorer').click());
const docs = page.locator('.graphiql-doc-explorer');
await step('the docs pane did not list Query', () =>
  docs.getByRole('link', { name: 'Query', exact: true }).first().waitFor({ state: 'visible' }),
);
ok('the docs pane lists Query');

// A subscription from GraphiQL, over its websocket (the token goes in connection_init).
const run = await post(token('ADMIN'), 'mutation { runMatching(input: {schoolId: "sch-1", dryRun: true}) { id } }');
expect(run.data?.runMatching?.id, 'runMatching as ADMIN failed', run);
await typeInto('query editor', queryEditor, `subscription { matchRunProgress(id: "${run.data.runMatching.id}") { status phase } }`);
await step('running the subscription with Ctrl-Enter', async () => {
  await queryEditor.click();
  await page.keyboard.press('ControlOrMeta+Enter');
});
await step('the result pane never showed the subscription\'s "phase": "DONE"', () =>
  result.getByText('"DONE"').waitFor({ state: 'visible' }),
);
ok('a subscription run from GraphiQL shows the run\'s "phase": "DONE" (graphql-ws to 127.0.0.1)');

if (blocked.length > 0) await failWith(`the page tried to reach ${blocked.length} address(es) off loopback: ${blocked.join(', ')}`);
if (problems.length > 0) await failWith(`the page reported problems:\n  ${problems.join('\n  ')}`);
ok('no request left 127.0.0.1 (0 aborted) and no page or console errors');
await browser.close();
