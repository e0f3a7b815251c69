// 7. The console at `/` in headless Chromium (Debian's, driven by playwright-core),
// every request to anything but 127.0.0.1 aborted: each role's journey through the
// accessible names of CONSOLE.md, what the user sees checked against what the API
// says (ADMIN's token, read independently), the Spanish switch, a partner kept out
// of a counselor's screen, the family's screen at 390×844, axe-core on every screen
// (no serious or critical violation), screenshots under target/console-shots/.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { REPO, URL_HTTP, deadline, expect, fail, ok, post, token } from './lib.mjs';

deadline(170);
const TIMEOUT = 15_000;
const BASE = URL_HTTP().replace(/\/graphql$/, '/');
const SHOTS = join(REPO(), 'target', 'console-shots');
mkdirSync(SHOTS, { recursive: true });
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const admin = token('ADMIN');

/** ADMIN's view of the data, the oracle of every journey. */
async function api(query, variables, { as = admin, url = URL_HTTP() } = {}) {
  const body = await post(as, query, variables, url);
  expect(!body.errors, `the oracle query failed: ${query}`, body.errors);
  return body.data;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
});
const blocked = [];
const problems = [];
let page;
let context;

async function newSession(viewport = { width: 1280, height: 900 }, base = BASE) {
  if (context) await context.close();
  context = await browser.newContext({ viewport, acceptDownloads: true });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
    blocked.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.request().method()} ${new URL(r.url()).pathname}`); });
  await page.goto(base, { waitUntil: 'load' });
}

async function failWith(message) {
  const shot = join(SHOTS, 'failure.png');
  await page?.screenshot({ path: shot, fullPage: true }).catch(() => {});
  await browser.close().catch(() => {});
  fail(`${message}\n  screenshot: ${shot}\n  blocked: ${JSON.stringify(blocked)}\n  page problems: ${JSON.stringify(problems)}`);
}
async function step(what, action) {
  try {
    return await action();
  } catch (err) {
    return failWith(`${what}: ${err.message.split('\n')[0]}`);
  }
}
function check(condition, message, detail) {
  if (!condition) return failWith(detail === undefined ? message : `${message}\n  got: ${JSON.stringify(detail)}`);
  return undefined;
}

/** axe-core on the screen as it is: no serious or critical violation. */
async function accessible(screen) {
  await page.evaluate(AXE);
  const found = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`);
  });
  await check(found.length === 0, `axe-core on ${screen}: ${found.length} serious or critical violations`, found);
  await page.screenshot({ path: join(SHOTS, `${screen}.png`), fullPage: true });
}

const heading = (name) => page.getByRole('heading', { level: 1, name, exact: true });
const button = (name) => page.getByRole('button', { name, exact: true });

async function signInAs(role, label) {
  await step(`signing in as ${role}`, async () => {
    await button(label).click();
    await button('Sign out').waitFor();
  });
}

// ---- Sign-in ----------------------------------------------------------------
await newSession();
await step('the sign-in page', () => heading('Sign in').waitFor());
await step('a refused token', async () => {
  await page.getByRole('textbox', { name: 'Token', exact: true }).fill('not-a-token');
  await button('Sign in').click();
  await page.getByRole('alert').getByText('refused').waitFor();
});
for (const label of ['Sign in as admin', 'Sign in as counselor', 'Sign in as partner', 'Sign in as student']) {
  await step(`the demo button ${label}`, () => button(label).waitFor());
}
await accessible('sign-in');
await step('signing in with a pasted token', async () => {
  await page.getByRole('textbox', { name: 'Token', exact: true }).fill(token('COUNSELOR'));
  await button('Sign in').click();
  await heading('Students').waitFor();
  await button('Sign out').click();
  await heading('Sign in').waitFor();
});
ok('sign-in: a refused token says so, a pasted token signs in, Sign out returns here, four demo buttons');

// ---- Counselor ----------------------------------------------------------------
await signInAs('COUNSELOR', 'Sign in as counselor');
const viewer = await page.evaluate(async () => {
  const response = await fetch('graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${sessionStorage.getItem('pm.token')}` },
    body: JSON.stringify({ query: '{ viewer { schoolId } }' }),
  });
  return (await response.json()).data.viewer;
});
const school = viewer.schoolId;
// A student of the school with an unfilled need that has suggestions, found through the API.
const pupils = await api(`query($s: ID!) { students(first: 60, filter: {schoolId: $s, unmatched: true}) {
  edges { node { id firstName lastName needs { kind } matches(first: 5) { edges { node { kind status } } } } } } }`, { s: school });
let chosen;
for (const { node } of pupils.students.edges) {
  const open = new Set(node.matches.edges.filter((e) => ['PROPOSED', 'ACCEPTED', 'ACTIVE'].includes(e.node.status)).map((e) => e.node.kind));
  for (const need of node.needs.filter((n) => !open.has(n.kind))) {
    const s = await api(`query($id: ID!, $k: OpeningKind!) { suggestions(studentId: $id, kind: $k, first: 5) {
      explanation es: explanation(language: "es") opening { id title } } }`, { id: node.id, k: need.kind });
    if (s.suggestions.length > 0 && node.needs.filter((n) => !open.has(n.kind)).length === 1) {
      chosen = { student: node, kind: need.kind, suggestions: s.suggestions };
      break;
    }
  }
  if (chosen) break;
}
expect(chosen, `no student of ${school} has exactly one unfilled need with suggestions`);
const fullName = `${chosen.student.firstName} ${chosen.student.lastName}`;
await accessible('counselor-students');
await step('finding the student by part of the name', async () => {
  await page.getByRole('textbox', { name: 'Find a student', exact: true }).fill(chosen.student.lastName.slice(0, 4).toLowerCase());
  await page.getByRole('link', { name: fullName, exact: true }).click();
  await heading(fullName).waitFor();
});
await accessible('counselor-student');
await step('Find openings', async () => {
  await button('Find openings').click();
  await page.getByText(chosen.suggestions[0].explanation, { exact: true }).waitFor();
});
const shown = await page.locator('.explanation').allTextContents();
await check(JSON.stringify(shown) === JSON.stringify(chosen.suggestions.map((s) => s.explanation)),
  'the suggestions shown are not the API\'s, in its order', { shown, api: chosen.suggestions.map((s) => s.explanation) });
await step('Why not more?', async () => {
  await button('Why not more?').click();
  await page.getByText(/openings fit\./).waitFor();
});
await accessible('counselor-suggestions');
const before = await api('query($id: ID!) { student(id: $id) { matches(first: 50) { totalCount } } }', { id: chosen.student.id });
await step('Propose', async () => {
  await button('Propose').first().click();
  await page.locator('.match .badge', { hasText: 'PROPOSED' }).first().waitFor();
});
const after = await api(`query($id: ID!) { student(id: $id) { matches(first: 50) { totalCount
  edges { node { status kind opening { id } } } } } }`, { id: chosen.student.id });
await check(after.student.matches.totalCount === before.student.matches.totalCount + 1, 'Propose did not write one match', after);
const made = after.student.matches.edges.map((e) => e.node)
  .find((m) => m.opening.id === chosen.suggestions[0].opening.id && m.kind === chosen.kind);
await check(made?.status === 'PROPOSED', 'the match written is not the first suggestion, PROPOSED', after);
ok(`counselor: found ${fullName} by name, ${shown.length} suggestions as the API gives them, proposed → PROPOSED (one match written)`);

// Spanish: the switch, and the explanation sentence in Spanish.
await step('switching to Español', async () => {
  await page.getByRole('combobox', { name: 'Language', exact: true }).selectOption('es');
  await page.getByRole('combobox', { name: 'Idioma', exact: true }).waitFor();
});
const other = pupils.students.edges.map((e) => e.node).find((n) => n.id !== chosen.student.id);
const spanish = await (async () => {
  for (const { node } of pupils.students.edges) {
    for (const need of node.needs) {
      const s = await api(`query($id: ID!, $k: OpeningKind!) { suggestions(studentId: $id, kind: $k, first: 5) {
        es: explanation(language: "es") } }`, { id: node.id, k: need.kind });
      if (s.suggestions.length) return { node, kind: need.kind, es: s.suggestions.map((x) => x.es) };
    }
  }
  return null;
})();
expect(spanish && other, 'no student with suggestions for the Spanish check');
await step('a student page in Spanish', async () => {
  await page.goto(`${BASE}#/student/${encodeURIComponent(spanish.node.id)}`);
  await heading(`${spanish.node.firstName} ${spanish.node.lastName}`).waitFor();
  const section = page.getByRole('region', { name: new RegExp(`^(Tutoría|Mentoría|Prácticas)`) })
    .filter({ has: page.getByRole('button', { name: 'Buscar plazas', exact: true }) }).first();
  await section.getByRole('button', { name: 'Buscar plazas', exact: true }).click();
  await page.getByText(spanish.es[0], { exact: true }).waitFor();
});
await check(/habla|en línea|cubre/.test(spanish.es[0]), `the Spanish explanation is not Spanish: ${spanish.es[0]}`);
await accessible('counselor-spanish');
await page.getByRole('combobox', { name: 'Idioma', exact: true }).selectOption('en');
ok(`Español: the labels switch and the explanation is the API's Spanish sentence ("${spanish.es[0]}")`);

await step('Report', async () => {
  await page.getByRole('link', { name: 'Report', exact: true }).click();
  await heading('Report').waitFor();
  await page.getByRole('img').nth(3).waitFor();
});
await accessible('counselor-report');
ok('report: four charts');

// ---- Run matching, on the generated district (a run long enough to follow) ----
// Signed in with a pasted token: that server has no --demo.
const RUN_URL = process.env.PM_RUN_URL;
expect(RUN_URL, 'PM_RUN_URL is not set (run this through .ci/clients.sh)');
await newSession(undefined, RUN_URL.replace(/\/graphql$/, '/'));
await step('signing in to the generated district', async () => {
  await page.getByRole('textbox', { name: 'Token', exact: true }).fill(process.env.PM_RUN_TOKEN_COUNSELOR);
  await button('Sign in').click();
  await page.getByRole('link', { name: 'Run matching', exact: true }).click();
  await heading('Run matching').waitFor();
});
await accessible('counselor-run');
await step('Dry run, followed by a live progressbar', async () => {
  await page.getByRole('checkbox', { name: 'Internship', exact: true }).uncheck();
  await button('Dry run').click();
  await page.getByRole('progressbar').waitFor();
  await page.getByRole('heading', { name: /Dry run finished/ }).waitFor({ timeout: 90_000 });
});
await check(await page.getByRole('progressbar').evaluate((bar) => bar.value === bar.max), 'the progressbar did not end full');
const shownMatched = Number(await page.locator('#figure-matched').textContent());
const shownUnmatched = Number(await page.locator('#figure-unmatched').textContent());
const listed = await api('{ matchRuns(last: 1) { edges { node { id dryRun requestedBy kinds stats { matched } unmatched { totalCount } } } } }',
  {}, { as: process.env.PM_RUN_TOKEN_ADMIN, url: RUN_URL });
const run = listed.matchRuns.edges[0].node;
await check(run.dryRun && run.requestedBy === 'counselor:sch-1' && JSON.stringify([...run.kinds].sort()) === '["MENTORING","TUTORING"]',
  'the newest run is not this counselor\'s dry run of the two kinds checked', run);
await check(shownMatched === run.stats.matched && shownUnmatched === run.unmatched.totalCount,
  'the figures shown are not the run\'s', { shownMatched, shownUnmatched, run });
const download = await step('Download CSV', async () => {
  const [file] = await Promise.all([page.waitForEvent('download'), button('Download CSV').click()]);
  return file;
});
const csv = readFileSync(await download.path(), 'utf8');
const csvRows = csv.trim().split('\n').length - 1;
await check(csv.split('\n')[0].includes('studentId') && csvRows === run.unmatched.totalCount,
  `the downloaded CSV has ${csvRows} rows, the run ${run.unmatched.totalCount} unmatched needs`, csv.slice(0, 300));
await accessible('counselor-run-done');
ok(`run matching: a dry run followed by a live progressbar; Matched ${shownMatched}, Unmatched ${shownUnmatched} as the API has them; Download CSV saved ${csvRows} rows (token in a header, not the URL)`);

// ---- Partner ------------------------------------------------------------------
await newSession();
await signInAs('PARTNER', 'Sign in as partner');
await step('My openings', () => heading('My openings').waitFor());
await accessible('partner-openings');
const mine = await page.evaluate(async () => {
  const response = await fetch('graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${sessionStorage.getItem('pm.token')}` },
    body: JSON.stringify({ query: '{ viewer { partnerId } openings(first: 1) { edges { node { id title } } } }' }),
  });
  return (await response.json()).data;
});
const target = mine.openings.edges[0].node;
const FULL = `query($id: ID!) { opening(id: $id) { id kind title subjects languages virtual place { lat lon } schedule { day start end }
  sessionMinutes sessionsPerWeek capacity minGrade maxGrade minAge backgroundCheck { clearedOn expiresOn } } }`;
const openingBefore = (await api(FULL, { id: target.id })).opening;
await step('Edit with a bad field', async () => {
  await button(`Edit: ${target.title ?? target.id}`).click();
  await page.getByRole('spinbutton', { name: 'Lowest grade', exact: true }).fill('12');
  await page.getByRole('spinbutton', { name: 'Highest grade', exact: true }).fill('3');
  await button('Save').click();
  await page.locator('#error-minGrade:not(:empty), #error-maxGrade:not(:empty)').first().waitFor();
});
await check(JSON.stringify((await api(FULL, { id: target.id })).opening) === JSON.stringify(openingBefore),
  'a refused edit changed the opening');
await accessible('partner-opening-error');
const newTitle = `${openingBefore.title ?? 'Opening'} (renamed)`;
await step('Edit the title only', async () => {
  await page.getByRole('spinbutton', { name: 'Lowest grade', exact: true }).fill(String(openingBefore.minGrade));
  await page.getByRole('spinbutton', { name: 'Highest grade', exact: true }).fill(String(openingBefore.maxGrade));
  await page.getByRole('textbox', { name: 'Title', exact: true }).fill(newTitle);
  await button('Save').click();
  await page.getByRole('cell', { name: newTitle, exact: true }).waitFor();
});
const openingAfter = (await api(FULL, { id: target.id })).opening;
await check(JSON.stringify({ ...openingAfter, title: openingBefore.title }) === JSON.stringify(openingBefore) && openingAfter.title === newTitle,
  'the edit changed more than the title (the patch must keep every other field, the background check included)', { openingBefore, openingAfter });
ok('partner: an edit with minGrade > maxGrade shows the error beside the field and writes nothing; a title edit is a patch that keeps every other field (background check included)');

await step('a partner on a counselor\'s screen', async () => {
  await page.goto(`${BASE}#/run`);
  await heading('Not for your role').waitFor();
});
const refused = await post(token('PARTNER'), 'mutation { runMatching(input: {dryRun: true}) { id } }');
expect(refused.errors?.[0]?.extensions?.code === 'FORBIDDEN', 'the API let a partner run matching', refused);
ok('a partner sent to Run matching reads "Not for your role", and the API refuses the run (FORBIDDEN)');

await step('Matches', async () => {
  await page.getByRole('link', { name: 'Matches', exact: true }).click();
  await heading('Matches').waitFor();
});
await accessible('partner-matches');
const partnerId = mine.viewer.partnerId;
const proposedToMe = await api(`query($p: ID!) { matches(first: 100, filter: {partnerId: $p, status: [PROPOSED]}) {
  edges { node { id partnerAccepted student { id firstName } } } } }`, { p: partnerId });
const waiting = proposedToMe.matches.edges.map((e) => e.node).filter((m) => !m.partnerAccepted);
expect(waiting.length > 0, 'the demo partner has no proposed match to accept');
const accepting = waiting[0];
await step('Accept', async () => {
  await page.locator(`[data-match="${accepting.id}"]`).getByRole('button', { name: 'Accept', exact: true }).click();
  await page.locator(`[data-match="${accepting.id}"]`).getByText('(waiting for the family)').waitFor();
});
const accepted = await api('query($id: ID!) { match(id: $id) { status partnerAccepted studentAccepted } }', { id: accepting.id });
await check(accepted.match.partnerAccepted && accepted.match.status === (accepted.match.studentAccepted ? 'ACCEPTED' : 'PROPOSED'),
  'Accept did not record the partner\'s side', accepted);
const cardText = await page.locator(`[data-match="${accepting.id}"]`).textContent();
await check(!/\b(lastName|birthDate)\b/.test(cardText), 'the partner sees more than first name, grade and languages', cardText);
ok(`partner: Accept on ${accepting.id} records the partner's side (partnerAccepted, still waiting for the family)`);

// A new opening, then closing it.
await step('New opening', async () => {
  await page.getByRole('link', { name: 'My openings', exact: true }).click();
  await heading('My openings').waitFor();
  await button('New opening').click();
  await page.getByRole('textbox', { name: 'Title', exact: true }).fill('Chess club coaching');
  await page.getByRole('textbox', { name: 'Subjects (comma-separated)', exact: true }).fill('chess, math');
  await page.getByRole('textbox', { name: 'Schedule (one window per line, like TUE 16:00-18:00)', exact: true }).fill('THU 15:30-17:30');
  await page.getByRole('spinbutton', { name: 'Capacity', exact: true }).fill('4');
  await button('Save').click();
  await page.getByRole('cell', { name: 'Chess club coaching', exact: true }).waitFor();
});
const created = (await api(`query($p: ID!) { partner(id: $p) { openings(first: 100) { edges { node {
  id title subjects virtual capacity schedule { day start end } status } } } } }`, { p: partnerId }))
  .partner.openings.edges.map((e) => e.node).find((o) => o.title === 'Chess club coaching');
await check(created && created.capacity === 4 && created.virtual && JSON.stringify(created.subjects) === '["chess","math"]'
  && JSON.stringify(created.schedule) === '[{"day":"THU","start":"15:30","end":"17:30"}]' && created.status === 'OPEN',
  'New opening did not write what the form said', created);
await step('Close opening', async () => {
  await page.locator(`[data-opening="${created.id}"]`).getByRole('button', { name: 'Close opening', exact: true }).click();
  await page.locator(`[data-opening="${created.id}"]`).getByRole('cell', { name: 'Closed', exact: true }).waitFor();
});
const closed = await api('query($id: ID!) { opening(id: $id) { status } }', { id: created.id });
await check(closed.opening.status === 'CLOSED', 'Close opening did not close it', closed);
ok(`partner: New opening wrote ${created.id} as typed (online, THU 15:30–17:30, capacity 4); Close opening → CLOSED`);

// ---- Student / family, on a phone ---------------------------------------------
await newSession({ width: 390, height: 844 });
await signInAs('STUDENT', 'Sign in as student');
await step('My matches', () => heading('My matches').waitFor());
const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
await check(overflow <= 0, `the family's screen is ${overflow}px wider than a 390px phone`);
await accessible('family-matches');
const familyMatches = await page.evaluate(async () => {
  const response = await fetch('graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${sessionStorage.getItem('pm.token')}` },
    body: JSON.stringify({ query: '{ matches(first: 50) { edges { node { id status studentAccepted partnerAccepted } } } }' }),
  });
  return (await response.json()).data.matches.edges.map((e) => e.node);
});
const answer = familyMatches.find((m) => m.status === 'PROPOSED' && !m.studentAccepted);
expect(answer, 'the demo family has no proposed match to answer', familyMatches);
await step('the family accepts', async () => {
  const card = page.locator(`[data-match="${answer.id}"]`);
  const acceptButton = card.getByRole('button', { name: 'Accept', exact: true });
  const box = await acceptButton.boundingBox();
  if (!box || box.x < 0 || box.x + box.width > 390) throw new Error(`Accept is cut off at ${JSON.stringify(box)}`);
  await acceptButton.click();
  await page.locator(`[data-match="${answer.id}"] .badge`).filter({ hasText: answer.partnerAccepted ? 'ACCEPTED' : 'PROPOSED' }).waitFor();
});
const answered = await api('query($id: ID!) { match(id: $id) { status studentAccepted } }', { id: answer.id });
await check(answered.match.studentAccepted && answered.match.status === (answer.partnerAccepted ? 'ACCEPTED' : 'PROPOSED'),
  'the family\'s Accept did not record the student\'s side', answered);
ok(`family at 390×844: nothing wider than the screen; Accept on ${answer.id} → ${answered.match.status} (both sides: ${answer.partnerAccepted})`);

// Feedback on a match under way (the one both sides just accepted, or another),
// as the partner records it.
await newSession();
await signInAs('PARTNER', 'Sign in as partner');
await step('back to Matches', async () => {
  await page.getByRole('link', { name: 'Matches', exact: true }).click();
  await heading('Matches').waitFor();
});
const underWay = await api(`query($p: ID!) { matches(first: 1, filter: {partnerId: $p, status: [ACCEPTED, ACTIVE, COMPLETED]}) {
  edges { node { id } } } }`, { p: partnerId });
const rated = underWay.matches.edges[0]?.node;
expect(rated, 'the demo partner has no accepted, active or completed match to rate');
const feedbackBefore = (await api('query($m: ID!) { feedback(matchId: $m) { id } }', { m: rated.id })).feedback.length;
await step('Record feedback', async () => {
  const card = page.locator(`[data-match="${rated.id}"]`);
  await card.getByRole('button', { name: 'Record feedback', exact: true }).click();
  await card.getByRole('combobox', { name: 'Rating', exact: true }).selectOption('4');
  await card.getByRole('spinbutton', { name: 'Sessions attended', exact: true }).fill('3');
  await card.getByRole('textbox', { name: 'Comment', exact: true }).fill('Punctual and keen');
  await card.getByRole('button', { name: 'Save feedback', exact: true }).click();
  await card.getByText('Feedback recorded.').waitFor();
});
const feedbackAfter = (await api('query($m: ID!) { feedback(matchId: $m) { rating sessionsAttended comment authorRole } }', { m: rated.id })).feedback;
const written = feedbackAfter.find((f) => f.authorRole === 'PARTNER' && f.comment === 'Punctual and keen');
await check(feedbackAfter.length >= feedbackBefore && written?.rating === 4 && written?.sessionsAttended === 3,
  'Record feedback did not write the partner\'s rating', feedbackAfter);
ok(`partner: Record feedback on ${rated.id} wrote rating 4, 3 sessions, the comment`);

// ---- Admin ----------------------------------------------------------------------
await newSession();
await signInAs('ADMIN', 'Sign in as admin');
await step('Partners', () => heading('Partners').waitFor());
const partnerCount = (await api('{ partners(first: 100) { totalCount } }')).partners.totalCount;
const rows = await page.locator('tbody tr').count();
await check(rows === Math.min(100, partnerCount), `Partners lists ${rows} rows; the API has ${partnerCount}`);
await accessible('admin-partners');
for (const [link, name] of [['Audit log', 'admin-audit'], ['Disclosure log', 'admin-disclosures']]) {
  await step(link, async () => {
    await page.getByRole('link', { name: link, exact: true }).click();
    await heading(link).waitFor();
    await page.locator('tbody tr').first().waitFor();
  });
  await accessible(name);
}
ok(`admin: ${rows} partners as the API lists them, the audit log and the disclosure log`);

if (blocked.length) await failWith(`the console tried to reach ${blocked.length} address(es) off loopback: ${blocked.join(', ')}`);
const real = problems;
if (real.length) await failWith(`the console reported problems:\n  ${real.join('\n  ')}`);
ok(`no request left 127.0.0.1 and no page errors; screenshots in ${SHOTS}`);
await browser.close();
