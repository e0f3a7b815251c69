// A student's (and family's) screen: their matches — what, where, when, with
// whom — each with Accept and Decline. Made for a phone first.
import { gql, respondToMatch, signedOut } from './api.js';
import { t } from './i18n.js';
import { announce, errorBox, h, show, windowText } from './ui.js';

export async function matches() {
  const data = await gql(`{ matches(first: 50, orderBy: {field: CREATED_AT, direction: DESC}) { edges { node {
    id status kind studentAccepted partnerAccepted sessions { day start end }
    opening { title virtual place { lat lon } sessionMinutes partner { name } } } } } }`);
  const rows = data.matches.edges.map((e) => e.node);
  const area = h('div', {});
  show(h('h1', {}, t('nav.myMatches')), area,
    rows.length ? h('ul', { class: 'plain' }, rows.map((m) => h('li', {}, card(m, area)))) : h('p', {}, t('family.none')));
}

function card(m, area) {
  const o = m.opening ?? {};
  const where = o.virtual
    ? t('family.online')
    : o.place ? t('family.inPerson', { lat: o.place.lat.toFixed(3), lon: o.place.lon.toFixed(3) }) : '—';
  const actions = [];
  if (m.status === 'PROPOSED' && !m.studentAccepted) {
    actions.push(h('button', { type: 'button', onclick: () => respond(m, 'ACCEPT', area) }, t('accept')));
  }
  if (m.status === 'PROPOSED' || m.status === 'ACCEPTED') {
    actions.push(h('button', { type: 'button', class: 'danger', onclick: () => respond(m, 'DECLINE', area) }, t('decline')));
  }
  return h('article', { class: 'card', 'data-match': m.id },
    h('h2', {}, o.title ?? t(`kind.${m.kind}`)),
    h('dl', {},
      h('dt', {}, t('family.what')), h('dd', {}, t(`kind.${m.kind}`)),
      h('dt', {}, t('family.withWhom')), h('dd', {}, o.partner?.name ?? '—'),
      h('dt', {}, t('family.where')), h('dd', {}, where),
      h('dt', {}, t('family.when')), h('dd', {}, m.sessions.map(windowText).join('; ') || '—'),
      h('dt', {}, t('family.status')), h('dd', {}, h('span', { class: 'badge' }, t(`status.${m.status}`)),
        m.status === 'PROPOSED' && m.studentAccepted ? ` ${t('match.waitingPartner')}` : '')),
    actions.length ? h('div', { class: 'row' }, actions) : null);
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
