// A counselor's screens (ADMIN sees them too): find a student, the student's page
// with suggestions per unfilled need, matching runs with live progress, the report.
import { download, gql, signedOut, subscribe } from './api.js';
import { lang, t } from './i18n.js';
import { announce, barChart, errorBox, h, saveBlob, show, windowText } from './ui.js';

const OPEN = ['PROPOSED', 'ACCEPTED', 'ACTIVE'];


// ---- Find a student -------------------------------------------------------

export async function students() {
  const results = h('ul', { class: 'plain', id: 'student-results', 'aria-live': 'polite' });
  const summary = h('p', { class: 'muted', id: 'student-count' });
  let asked = 0;
  async function search(text) {
    const mine = ++asked;
    const data = await gql(
      `query($filter: StudentFilter) { students(first: 25, filter: $filter, orderBy: {field: NAME, direction: ASC}) {
        totalCount edges { node { id firstName lastName grade } } } }`,
      { filter: text.trim() ? { name: text.trim() } : null },
    ).catch((err) => { if (!signedOut(err)) summary.textContent = err.message; return null; });
    if (!data || mine !== asked) return;
    const list = data.students;
    summary.textContent = t('students.count', { shown: list.edges.length, total: list.totalCount });
    results.replaceChildren(...list.edges.map(({ node }) => h('li', {},
      h('a', { href: `#/student/${encodeURIComponent(node.id)}` }, `${node.firstName} ${node.lastName}`),
      ' ', h('span', { class: 'muted' }, t('grade', { grade: node.grade })))));
  }
  let timer;
  const field = h('input', {
    id: 'find-student', type: 'text', autocomplete: 'off',
    oninput: (event) => { clearTimeout(timer); timer = setTimeout(() => search(event.target.value), 200); },
  });
  show(h('h1', {}, t('students.title')),
    h('div', { class: 'field' }, h('label', { for: 'find-student' }, t('students.find')), field),
    summary, results);
  await search('');
}

// ---- The student page -----------------------------------------------------

const STUDENT = `query($id: ID!) { student(id: $id) {
  id firstName lastName grade languages consentOnFile remoteOk maxTravelMinutes travelModes
  school { name } availability { day start end } needs { kind subjects waitingSince }
  matches(first: 50) { edges { node { id status kind createdAt studentAccepted partnerAccepted
    opening { id title partner { name } }
    history { at actor action from to reason } } } } } }`;

export async function student(id) {
  const data = await gql(STUDENT, { id });
  const s = data.student;
  if (!s) {
    show(h('h1', {}, t('student.missing')), h('p', {}, h('a', { href: '#/students' }, t('students.title'))));
    return;
  }
  const matches = s.matches.edges.map((e) => e.node);
  const filled = new Set(matches.filter((m) => OPEN.includes(m.status)).map((m) => m.kind));
  show(
    h('p', {}, h('a', { href: '#/students' }, `← ${t('students.title')}`)),
    h('h1', {}, `${s.firstName} ${s.lastName}`),
    h('dl', { class: 'facts' },
      h('dt', {}, t('student.school')), h('dd', {}, s.school?.name ?? '—'),
      h('dt', {}, t('student.grade')), h('dd', {}, String(s.grade)),
      h('dt', {}, t('student.languages')), h('dd', {}, s.languages.join(', ') || '—'),
      h('dt', {}, t('student.availability')), h('dd', {}, s.availability.map(windowText).join('; ') || '—'),
      h('dt', {}, t('student.travel')), h('dd', {},
        `${s.travelModes.map((m) => t(`mode.${m}`)).join(', ')} · ${t('minutes', { n: s.maxTravelMinutes })}` +
        (s.remoteOk ? ` · ${t('student.remoteOk')}` : '')),
      h('dt', {}, t('student.consent')), h('dd', {}, s.consentOnFile ? t('yes') : t('no'))),
    h('h2', {}, t('student.needs')),
    s.needs.length ? s.needs.map((need) => needCard(s, need, filled.has(need.kind))) : h('p', {}, t('none')),
    h('h2', {}, t('student.matches')),
    matches.length ? matches.map(matchCard) : h('p', { id: 'no-matches' }, t('student.noMatches')),
  );
}

function needCard(s, need, isFilled) {
  const area = h('div', { class: 'suggestions' });
  const label = `${t(`kind.${need.kind}`)}: ${need.subjects.join(', ')}`;
  const headingId = `need-${need.kind}`;
  return h('section', { class: 'card', 'aria-labelledby': headingId },
    h('h3', { id: headingId }, label),
    need.waitingSince && !isFilled ? h('p', { class: 'muted' }, t('need.waiting', { date: need.waitingSince })) : null,
    isFilled
      ? h('p', { class: 'muted' }, t('need.filled'))
      : h('button', {
        type: 'button', 'aria-describedby': headingId,
        onclick: () => suggest(s, need, area),
      }, t('need.find')),
    area);
}

async function suggest(s, need, area) {
  area.replaceChildren(h('p', {}, t('loading')));
  let data;
  try {
    data = await gql(`query($id: ID!, $kind: OpeningKind!, $lang: String) {
      suggestions(studentId: $id, kind: $kind, first: 5) {
        score explanation(language: $lang) breakdown { criterion points } sessions { day start end }
        opening { id title kind partner { name } } } }`, { id: s.id, kind: need.kind, lang: lang() });
  } catch (err) {
    if (!signedOut(err)) area.replaceChildren(errorBox(err.message));
    return;
  }
  const why = h('div', {});
  const list = data.suggestions.length
    ? h('ol', { class: 'plain' }, data.suggestions.map((item) => h('li', { class: 'card' },
      h('h4', {}, item.opening.title ?? item.opening.id),
      h('p', {}, `${item.opening.partner.name} · ${t('score', { score: item.score })}`),
      h('p', { class: 'explanation' }, item.explanation),
      h('p', {}, `${t('sessions')}: ${item.sessions.map(windowText).join('; ')}`),
      barChart(t('breakdown'), item.breakdown.filter((c) => c.points > 0)
        .map((c) => ({ label: t(`criterion.${c.criterion}`), value: c.points }))),
      h('button', { type: 'button', onclick: (event) => propose(s, item, event.target, area) }, t('propose')))))
    : h('p', {}, t('need.noSuggestions'));
  area.replaceChildren(list,
    h('button', { type: 'button', class: 'secondary', onclick: () => whyNot(s, need, why) }, t('need.whyNot')),
    why);
}

async function propose(s, item, button, area) {
  button.disabled = true;
  try {
    await gql('mutation($s: ID!, $o: ID!) { proposeMatch(studentId: $s, openingId: $o) { id status } }',
      { s: s.id, o: item.opening.id });
    announce(t('proposed'));
    await student(s.id);
  } catch (err) {
    button.disabled = false;
    if (!signedOut(err)) area.prepend(errorBox(err.message));
  }
}

async function whyNot(s, need, target) {
  try {
    const data = await gql(`query($id: ID!, $kind: OpeningKind!) { needReport(studentId: $id, kind: $kind) {
      filled feasible ruledOutBy { constraint count } } }`, { id: s.id, kind: need.kind });
    const report = data.needReport;
    target.replaceChildren(
      h('h4', {}, t('need.whyNot')),
      h('p', {}, t('need.feasible', { n: report.feasible })),
      report.ruledOutBy.length
        ? barChart(t('need.ruledOut'), report.ruledOutBy.map((r) => ({ label: t(`constraint.${r.constraint}`), value: r.count })))
        : h('p', {}, t('none')));
  } catch (err) {
    if (!signedOut(err)) target.replaceChildren(errorBox(err.message));
  }
}

function statusBadge(status) {
  return h('span', { class: 'badge', 'data-status': status }, t(`status.${status}`));
}

function matchCard(m) {
  return h('article', { class: 'card match', 'data-match': m.id },
    h('h3', {}, `${t(`kind.${m.kind}`)} · ${m.opening?.title ?? ''}`),
    h('p', {}, m.opening?.partner?.name ?? '', ' ', statusBadge(m.status)),
    h('details', {}, h('summary', {}, t('history')),
      h('ol', {}, m.history.map((e) => h('li', {},
        `${new Date(e.at).toLocaleString(lang())} · ${t(`action.${e.action}`)}` +
        (e.to ? ` → ${t(`status.${e.to}`)}` : '') + ` · ${e.actor}` + (e.reason ? ` · “${e.reason}”` : ''))))));
}

// ---- Run matching ---------------------------------------------------------

export async function run() {
  const kinds = ['TUTORING', 'MENTORING', 'INTERNSHIP'];
  const boxes = kinds.map((kind) => h('input', { type: 'checkbox', id: `kind-${kind}`, value: kind, checked: true }));
  const out = h('div', { id: 'run-result' });
  const start = async (dryRun) => {
    const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
    // Indeterminate until the run reports its first progress.
    out.replaceChildren(h('progress', { 'aria-label': t('run.progress') }), h('p', { class: 'muted' }, t('run.starting')));
    let started;
    try {
      started = (await gql(`mutation($input: RunMatchingInput!) { runMatching(input: $input) { id status } }`,
        { input: { dryRun, kinds: chosen } })).runMatching;
    } catch (err) {
      if (!signedOut(err)) out.replaceChildren(errorBox(err.message));
      return;
    }
    await follow(started, out);
  };
  show(h('h1', {}, t('nav.run')),
    h('fieldset', {}, h('legend', {}, t('run.kinds')),
      kinds.map((kind, i) => h('div', {}, boxes[i], ' ', h('label', { for: `kind-${kind}` }, t(`kind.${kind}`))))),
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'secondary', onclick: () => start(true) }, t('run.dry')),
      h('button', { type: 'button', onclick: () => start(false) }, t('run.commit'))),
    out);
}

const FINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

async function follow(started, out) {
  const bar = h('progress', { max: 1, value: 0, 'aria-label': t('run.progress') });
  const phase = h('p', { class: 'muted' });
  out.replaceChildren(bar, phase);
  if (!FINAL.includes(started.status)) {
    const followed = await subscribe(
      'subscription($id: ID!) { matchRunProgress(id: $id) { status phase done total } }',
      { id: started.id },
      (data) => {
        const p = data.matchRunProgress;
        bar.max = Math.max(1, p.total);
        bar.value = p.done;
        phase.textContent = `${t(`phase.${p.phase}`)} · ${p.done} / ${p.total}`;
      });
    if (!followed) await poll(started.id);
  }
  const data = await gql(`query($id: ID!) { matchRun(id: $id) { id status dryRun error
    stats { needs matched totalScore }
    unmatched(first: 100) { totalCount edges { node { studentId kind reason ruledOutBy { constraint count } } } } } }`,
  { id: started.id });
  const r = data.matchRun;
  bar.max = 1;
  bar.value = 1;
  if (r.status !== 'SUCCEEDED') {
    out.replaceChildren(errorBox(`${t(`runStatus.${r.status}`)}${r.error ? `: ${r.error}` : ''}`));
    return;
  }
  const unmatched = r.unmatched.edges.map((e) => e.node);
  out.replaceChildren(
    bar,
    h('h2', {}, r.dryRun ? t('run.dryDone') : t('run.committed')),
    h('dl', { class: 'figures' },
      h('div', {}, h('dt', {}, t('run.matched')), h('dd', { id: 'figure-matched' }, String(r.stats.matched))),
      h('div', {}, h('dt', {}, t('run.unmatched')), h('dd', { id: 'figure-unmatched' }, String(r.unmatched.totalCount))),
      h('div', {}, h('dt', {}, t('run.totalScore')), h('dd', {}, String(r.stats.totalScore)))),
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'secondary', onclick: () => save(`export/unmatched.csv?run=${encodeURIComponent(r.id)}`, `unmatched-${r.id}.csv`) }, t('run.downloadUnmatched')),
      h('button', { type: 'button', class: 'secondary', onclick: () => save('export/matches.csv', 'matches.csv') }, t('run.downloadMatches'))),
    h('h3', {}, t('run.unmatchedNeeds')),
    unmatched.length
      ? h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('run.student')), h('th', { scope: 'col' }, t('run.kind')),
          h('th', { scope: 'col' }, t('run.reason')), h('th', { scope: 'col' }, t('run.ruledOut')))),
        h('tbody', {}, unmatched.map((u) => h('tr', {},
          h('td', {}, h('a', { href: `#/student/${encodeURIComponent(u.studentId)}` }, u.studentId)),
          h('td', {}, t(`kind.${u.kind}`)),
          h('td', {}, t(`reason.${u.reason}`)),
          h('td', {}, u.ruledOutBy.map((x) => `${t(`constraint.${x.constraint}`)} ${x.count}`).join(', ')))))))
      : h('p', {}, t('none')));
}

async function poll(id) {
  for (let i = 0; i < 600; i += 1) {
    const data = await gql('query($id: ID!) { matchRun(id: $id) { status } }', { id });
    if (FINAL.includes(data.matchRun?.status)) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function save(path, name) {
  try {
    saveBlob(await download(path), name);
    announce(t('downloaded', { name }));
  } catch (err) {
    if (!signedOut(err)) announce(err.message);
  }
}

// ---- Report ---------------------------------------------------------------

export async function report() {
  const data = await gql(`{ report {
    matchRateBySchool { key needs matched rate } matchRateByKind { key needs matched rate }
    matchRateByPriority { key needs matched rate }
    capacityByPartner { partnerName capacity filled use } medianTravelMinutes
    feedback { count averageRating } } }`);
  const r = data.report;
  const percent = (v) => `${Math.round(v * 100)} %`;
  const rates = (title, rows, label) => barChart(title, rows.map((row) => ({ label: label(row.key), value: row.rate })),
    { max: 1, format: percent });
  show(h('h1', {}, t('nav.report')),
    h('p', {}, t('report.median', { n: r.medianTravelMinutes === null ? '—' : Math.round(r.medianTravelMinutes) })),
    h('p', {}, t('report.feedback', { n: r.feedback.count, avg: r.feedback.averageRating?.toFixed(1) ?? '—' })),
    rates(t('report.bySchool'), r.matchRateBySchool, (k) => k),
    rates(t('report.byKind'), r.matchRateByKind, (k) => t(`kind.${k}`)),
    rates(t('report.byPriority'), r.matchRateByPriority, (k) => t('report.priority', { n: k })),
    barChart(t('report.capacity'), r.capacityByPartner.map((row) => ({ label: row.partnerName, value: row.use })),
      { max: 1, format: percent }),
    h('button', { type: 'button', class: 'secondary', onclick: () => save('export/report.csv', 'report.csv') }, t('report.download')));
}

