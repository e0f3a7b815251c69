// A partner's screens: its openings (a table, a form sent as a patch with each
// field's error beside it, close), and its matches (the student's first name,
// grade and languages only; accept, decline, feedback).
import { gql, respondToMatch, signedOut } from './api.js';
import { t } from './i18n.js';
import { announce, errorBox, h, show, windowText } from './ui.js';


const OPENING_FIELDS = `id kind title subjects languages virtual place { lat lon } pickupRadiusKm
  schedule { day start end } sessionMinutes sessionsPerWeek capacity freeSlots minGrade maxGrade minAge status`;

export async function openings(viewer) {
  const data = await gql(`{ openings(first: 100) { totalCount edges { node { ${OPENING_FIELDS} } } } }`);
  const rows = data.openings.edges.map((e) => e.node);
  const area = h('div', { id: 'opening-form' });
  show(h('h1', {}, t('nav.openings')),
    h('button', { type: 'button', onclick: () => form(viewer, null, area) }, t('openings.new')),
    area,
    rows.length
      ? h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, ['openings.title', 'openings.kind', 'openings.capacity', 'openings.free',
          'openings.status', 'openings.actions'].map((k) => h('th', { scope: 'col' }, t(k))))),
        h('tbody', {}, rows.map((o) => h('tr', { 'data-opening': o.id },
          h('td', {}, o.title ?? o.id),
          h('td', {}, t(`kind.${o.kind}`)),
          h('td', {}, String(o.capacity)),
          h('td', {}, String(o.freeSlots)),
          h('td', {}, t(`openingStatus.${o.status}`)),
          h('td', {}, h('div', { class: 'row' },
            h('button', { type: 'button', class: 'secondary', 'aria-label': `${t('openings.edit')}: ${o.title ?? o.id}`,
              onclick: () => form(viewer, o, area) }, t('openings.edit')),
            o.status === 'OPEN'
              ? h('button', { type: 'button', class: 'danger', onclick: () => close(viewer, o) }, t('openings.close'))
              : null)))))))
      : h('p', {}, t('none')));
}

async function close(viewer, o) {
  try {
    await gql('mutation($id: ID!) { closeOpening(id: $id) { id status } }', { id: o.id });
    announce(t('openings.closed'));
    await openings(viewer);
  } catch (err) {
    if (!signedOut(err)) announce(err.message);
  }
}

const list = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);

/** "TUE 16:00-18:00" per line ⇄ windows. */
function scheduleText(windows) {
  return windows.map((w) => `${w.day} ${w.start}-${w.end}`).join('\n');
}
function parseSchedule(text) {
  const windows = [];
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const found = line.match(/^([A-Za-z]{3})\s+(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})$/);
    if (!found) return { error: t('form.scheduleLine', { line }) };
    windows.push({ day: found[1].toUpperCase(), start: found[2].padStart(5, '0'), end: found[3].padStart(5, '0') });
  }
  return { windows };
}

function form(viewer, original, area) {
  const o = original ?? {
    kind: 'TUTORING', title: '', subjects: [], languages: ['en'], virtual: true, place: null, schedule: [],
    sessionMinutes: 60, sessionsPerWeek: 1, capacity: 1, minGrade: 0, maxGrade: 12, minAge: null,
  };
  const errors = {};
  const field = (name, label, input) => {
    errors[name] = h('span', { class: 'error', id: `error-${name}` });
    input.id = `field-${name}`;
    input.setAttribute('aria-describedby', `error-${name}`);
    return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, errors[name]);
  };
  const inputs = {
    title: h('input', { type: 'text', value: o.title ?? '' }),
    kind: h('select', {}, ['TUTORING', 'MENTORING', 'INTERNSHIP'].map((k) =>
      h('option', { value: k, selected: o.kind === k }, t(`kind.${k}`)))),
    subjects: h('input', { type: 'text', value: o.subjects.join(', ') }),
    languages: h('input', { type: 'text', value: o.languages.join(', ') }),
    virtual: h('input', { type: 'checkbox', checked: o.virtual }),
    lat: h('input', { type: 'text', inputmode: 'decimal', value: o.place?.lat ?? '' }),
    lon: h('input', { type: 'text', inputmode: 'decimal', value: o.place?.lon ?? '' }),
    schedule: h('textarea', { rows: 3 }, scheduleText(o.schedule)),
    sessionMinutes: h('input', { type: 'number', value: o.sessionMinutes }),
    sessionsPerWeek: h('input', { type: 'number', value: o.sessionsPerWeek }),
    capacity: h('input', { type: 'number', value: o.capacity }),
    minGrade: h('input', { type: 'number', value: o.minGrade }),
    maxGrade: h('input', { type: 'number', value: o.maxGrade }),
    minAge: h('input', { type: 'number', value: o.minAge ?? '' }),
  };
  const general = h('div', {});
  const submit = async (event) => {
    event.preventDefault();
    for (const span of Object.values(errors)) span.textContent = '';
    general.replaceChildren();
    const schedule = parseSchedule(inputs.schedule.value);
    if (schedule.error) {
      errors.schedule.textContent = schedule.error;
      return;
    }
    const number = (input) => (input.value.trim() === '' ? null : Number(input.value));
    const values = {
      title: inputs.title.value.trim() || null,
      kind: inputs.kind.value,
      subjects: list(inputs.subjects.value),
      languages: list(inputs.languages.value),
      virtual: inputs.virtual.checked,
      place: inputs.virtual.checked || (inputs.lat.value.trim() === '' && inputs.lon.value.trim() === '')
        ? null : { lat: number(inputs.lat), lon: number(inputs.lon) },
      schedule: schedule.windows,
      sessionMinutes: number(inputs.sessionMinutes),
      sessionsPerWeek: number(inputs.sessionsPerWeek),
      capacity: number(inputs.capacity),
      minGrade: number(inputs.minGrade),
      maxGrade: number(inputs.maxGrade),
      minAge: number(inputs.minAge),
    };
    try {
      if (original) {
        // A patch: only what changed, so nothing the form does not show is touched.
        const before = {
          title: o.title ?? null, kind: o.kind, subjects: o.subjects, languages: o.languages, virtual: o.virtual,
          place: o.place, schedule: o.schedule.map(({ day, start, end }) => ({ day, start, end })),
          sessionMinutes: o.sessionMinutes, sessionsPerWeek: o.sessionsPerWeek, capacity: o.capacity,
          minGrade: o.minGrade, maxGrade: o.maxGrade, minAge: o.minAge,
        };
        const patch = {};
        for (const [key, value] of Object.entries(values)) {
          if (JSON.stringify(value) !== JSON.stringify(before[key])) patch[key] = value;
        }
        if (values.virtual && 'place' in patch) delete patch.place;
        await gql('mutation($id: ID!, $input: OpeningPatch!) { updateOpening(id: $id, input: $input) { id } }',
          { id: o.id, input: patch });
      } else {
        const input = { ...values, id: `o-${crypto.randomUUID().slice(0, 8)}`, partnerId: viewer.partnerId };
        if (input.place === null) delete input.place;
        if (input.minAge === null) delete input.minAge;
        await gql('mutation($input: OpeningInput!) { createOpening(input: $input) { id } }', { input });
      }
      announce(t('form.saved'));
      await openings(viewer);
    } catch (err) {
      if (signedOut(err)) return;
      const unplaced = [];
      for (const e of err.errors ?? [err]) {
        const path = (e.extensions?.field ?? '').replace(/^input\./, '').split(/[.[]/)[0];
        const target = path === 'place' ? errors.lat : errors[path];
        if (target) target.textContent = e.message;
        else unplaced.push(e.message);
      }
      if (unplaced.length) general.replaceChildren(errorBox(unplaced.join(' ')));
      const first = area.querySelector('.error:not(:empty)');
      if (first) first.previousElementSibling?.focus();
    }
  };
  area.replaceChildren(h('form', { class: 'card', onsubmit: submit, 'aria-labelledby': 'form-heading', novalidate: true },
    h('h2', { id: 'form-heading' }, original ? `${t('openings.edit')}: ${o.title ?? o.id}` : t('openings.new')),
    general,
    field('title', t('openings.title'), inputs.title),
    field('kind', t('openings.kind'), inputs.kind),
    field('subjects', t('form.subjects'), inputs.subjects),
    field('languages', t('form.languages'), inputs.languages),
    field('virtual', t('form.virtual'), inputs.virtual),
    field('lat', t('form.lat'), inputs.lat),
    field('lon', t('form.lon'), inputs.lon),
    field('schedule', t('form.schedule'), inputs.schedule),
    field('sessionMinutes', t('form.sessionMinutes'), inputs.sessionMinutes),
    field('sessionsPerWeek', t('form.sessionsPerWeek'), inputs.sessionsPerWeek),
    field('capacity', t('openings.capacity'), inputs.capacity),
    field('minGrade', t('form.minGrade'), inputs.minGrade),
    field('maxGrade', t('form.maxGrade'), inputs.maxGrade),
    field('minAge', t('form.minAge'), inputs.minAge),
    h('div', { class: 'row' },
      h('button', { type: 'submit' }, t('form.save')),
      h('button', { type: 'button', class: 'secondary', onclick: () => area.replaceChildren() }, t('form.cancel')))));
  inputs.title.focus();
}

// ---- Matches ---------------------------------------------------------------

export async function matches() {
  const data = await gql(`{ matches(first: 100, orderBy: {field: CREATED_AT, direction: DESC}) { edges { node {
    id status kind partnerAccepted studentAccepted sessions { day start end }
    opening { title } student { firstName grade languages } } } } }`);
  const rows = data.matches.edges.map((e) => e.node);
  const area = h('div', {});
  show(h('h1', {}, t('nav.matches')), area,
    rows.length ? rows.map((m) => card(m, area)) : h('p', {}, t('none')));
}

function card(m, area) {
  const s = m.student;
  const actions = [];
  if (m.status === 'PROPOSED' && !m.partnerAccepted) {
    actions.push(h('button', { type: 'button', onclick: () => respond(m, 'ACCEPT', area) }, t('accept')));
  }
  if (m.status === 'PROPOSED' || m.status === 'ACCEPTED') {
    actions.push(h('button', { type: 'button', class: 'danger', onclick: () => respond(m, 'DECLINE', area) }, t('decline')));
  }
  const feedback = h('div', {});
  if (['ACCEPTED', 'ACTIVE', 'COMPLETED'].includes(m.status)) {
    actions.push(h('button', { type: 'button', class: 'secondary', onclick: () => feedbackForm(m, feedback) }, t('feedback.record')));
  }
  return h('article', { class: 'card', 'data-match': m.id },
    h('h2', {}, `${s?.firstName ?? '—'} · ${m.opening?.title ?? ''}`),
    h('p', {}, `${t('grade', { grade: s?.grade ?? '—' })} · ${(s?.languages ?? []).join(', ')}`),
    h('p', {}, m.sessions.map(windowText).join('; ')),
    h('p', {}, h('span', { class: 'badge' }, t(`status.${m.status}`)),
      m.status === 'PROPOSED' && m.partnerAccepted ? ` ${t('match.waitingFamily')}` : ''),
    h('div', { class: 'row' }, actions), feedback);
}

async function respond(m, decision, area) {
  try {
    await respondToMatch(m.id, decision);
    announce(decision === 'ACCEPT' ? t('accepted') : t('declined'));
    await matches();
  } catch (err) {
    if (!signedOut(err)) area.replaceChildren(errorBox(err.message));
  }
}

function feedbackForm(m, target) {
  const rating = h('select', { id: `rating-${m.id}` }, [5, 4, 3, 2, 1].map((n) => h('option', { value: n }, String(n))));
  const attended = h('input', { id: `attended-${m.id}`, type: 'number', min: 0 });
  const comment = h('textarea', { id: `comment-${m.id}`, rows: 2 });
  const message = h('div', {});
  target.replaceChildren(h('form', {
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        await gql('mutation($input: FeedbackInput!) { recordFeedback(input: $input) { id } }', {
          input: {
            matchId: m.id, rating: Number(rating.value),
            sessionsAttended: attended.value === '' ? null : Number(attended.value),
            comment: comment.value.trim() || null,
          },
        });
        target.replaceChildren(h('p', {}, t('feedback.saved')));
        announce(t('feedback.saved'));
      } catch (err) {
        if (!signedOut(err)) message.replaceChildren(errorBox(err.message));
      }
    },
  },
  message,
  h('div', { class: 'field' }, h('label', { for: rating.id }, t('feedback.rating')), rating),
  h('div', { class: 'field' }, h('label', { for: attended.id }, t('feedback.attended')), attended),
  h('div', { class: 'field' }, h('label', { for: comment.id }, t('feedback.comment')), comment),
  h('button', { type: 'submit' }, t('feedback.save'))));
}

