// The console: sign-in, the header every signed-in page shares (navigation per
// role, Language, Sign out) and a hash router. Each role's screens live in a
// module of their own; all of them read and write through api.js only.
import { SignedOut, clearToken, gql, setToken, token } from './api.js';
import { lang, setLang, t } from './i18n.js';
import { errorBox, h, show } from './ui.js';
import * as counselor from './counselor.js';
import * as partner from './partner.js';
import * as family from './family.js';
import * as admin from './admin.js';

/** The signed-in viewer, or null. */
let viewer = null;
let signInMessage = '';

/** Navigation per role: [hash, label key]. */
const NAV = {
  COUNSELOR: [['#/students', 'nav.students'], ['#/run', 'nav.run'], ['#/report', 'nav.report']],
  PARTNER: [['#/openings', 'nav.openings'], ['#/matches', 'nav.matches']],
  STUDENT: [['#/my-matches', 'nav.myMatches']],
  ADMIN: [['#/partners', 'nav.partners'], ['#/run', 'nav.run'], ['#/report', 'nav.report'],
    ['#/audit', 'nav.audit'], ['#/disclosures', 'nav.disclosures']],
};

/** Screens: hash pattern → (role list, view). */
const ROUTES = [
  [/^#\/students$/, ['COUNSELOR', 'ADMIN'], () => counselor.students()],
  [/^#\/student\/(.+)$/, ['COUNSELOR', 'ADMIN'], (id) => counselor.student(decodeURIComponent(id))],
  [/^#\/run$/, ['COUNSELOR', 'ADMIN'], () => counselor.run(viewer)],
  [/^#\/report$/, ['COUNSELOR', 'ADMIN'], () => counselor.report()],
  [/^#\/openings$/, ['PARTNER'], () => partner.openings(viewer)],
  [/^#\/matches$/, ['PARTNER'], () => partner.matches()],
  [/^#\/my-matches$/, ['STUDENT'], () => family.matches()],
  [/^#\/partners$/, ['ADMIN'], () => admin.partners()],
  [/^#\/audit$/, ['ADMIN'], () => admin.audit()],
  [/^#\/disclosures$/, ['ADMIN'], () => admin.disclosures()],
];

function home(role) {
  return NAV[role]?.[0]?.[0] ?? '#/';
}

function languageSelect() {
  const select = h('select', {
    id: 'language',
    onchange: (event) => {
      setLang(event.target.value);
      render();
    },
  },
  h('option', { value: 'en', selected: lang() === 'en' }, 'English'),
  h('option', { value: 'es', selected: lang() === 'es' }, 'Español'));
  return h('label', { for: 'language' }, t('language'), select);
}

function header() {
  const top = document.getElementById('top');
  const items = viewer ? (NAV[viewer.role] ?? []) : [];
  const current = window.location.hash;
  top.replaceChildren(
    h('span', { class: 'brand' }, 'partnermatch'),
    items.length
      ? h('nav', { 'aria-label': t('nav.label') }, h('ul', {}, items.map(([hash, key]) =>
        h('li', {}, h('a', { href: hash, 'aria-current': current.startsWith(hash) ? 'page' : null }, t(key))))))
      : null,
    languageSelect(),
    viewer ? h('span', { class: 'muted' }, t(`role.${viewer.role}`)) : null,
    viewer ? h('button', { type: 'button', class: 'secondary', onclick: signOut }, t('signOut')) : null,
  );
}

function signOut() {
  clearToken();
  viewer = null;
  signInMessage = '';
  window.location.hash = '#/';
  render();
}

async function signInWith(value) {
  setToken(value.trim());
  try {
    const data = await gql('{ viewer { subject role schoolId partnerId studentId } }');
    viewer = data.viewer;
    signInMessage = '';
    const start = home(viewer.role);
    // A new address draws through the hashchange listener; the same one draws here.
    if (window.location.hash !== start) {
      window.location.hash = start;
      return;
    }
  } catch (err) {
    clearToken();
    viewer = null;
    signInMessage = err instanceof SignedOut ? t('signIn.refused') : err.message;
  }
  render();
}

async function demoRoles() {
  try {
    const response = await fetch('console/demo');
    if (!response.ok) return [];
    return (await response.json()).roles ?? [];
  } catch {
    return [];
  }
}

async function signInPage() {
  const field = h('input', { id: 'token', type: 'text', autocomplete: 'off', spellcheck: 'false', required: true });
  const form = h('form', {
    onsubmit: (event) => {
      event.preventDefault();
      if (field.value.trim()) signInWith(field.value);
    },
  },
  h('div', { class: 'field' }, h('label', { for: 'token' }, t('signIn.token')), field,
    h('span', { class: 'muted' }, t('signIn.help'))),
  h('button', { type: 'submit' }, t('signIn.button')));
  const roles = await demoRoles();
  const demo = roles.length
    ? h('section', { 'aria-labelledby': 'demo-heading' },
      h('h2', { id: 'demo-heading' }, t('signIn.demo')),
      h('div', { class: 'row' }, roles.map((role) => h('button', {
        type: 'button',
        class: 'secondary',
        onclick: async () => {
          const response = await fetch('console/demo-token', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ role }),
          });
          if (response.ok) signInWith((await response.json()).token);
          else {
            signInMessage = t('signIn.refused');
            render();
          }
        },
      }, t(`signIn.as.${role}`)))))
    : null;
  show(h('h1', {}, t('signIn.title')), signInMessage ? errorBox(signInMessage) : null, form, demo);
}

/** Draws the page for the current hash. */
export async function render() {
  document.getElementById('main').dataset.route = window.location.hash || '#/';
  document.documentElement.lang = lang();
  document.title = `partnermatch`;
  if (!token()) {
    viewer = null;
    header();
    await signInPage();
    return;
  }
  if (!viewer) {
    try {
      viewer = (await gql('{ viewer { subject role schoolId partnerId studentId } }')).viewer;
    } catch (err) {
      return expired(err);
    }
  }
  header();
  const hash = window.location.hash || home(viewer.role);
  document.getElementById('main').dataset.route = window.location.hash || '#/';
  for (const [pattern, roles, view] of ROUTES) {
    const found = hash.match(pattern);
    if (!found) continue;
    if (!roles.includes(viewer.role)) {
      show(h('h1', {}, t('forbidden.title')), errorBox(t('forbidden.text')),
        h('p', {}, h('a', { href: home(viewer.role) }, t('forbidden.back'))));
      return;
    }
    try {
      await view(...found.slice(1));
    } catch (err) {
      if (err instanceof SignedOut) return expired(err);
      show(h('h1', {}, t('error.title')), errorBox(err.message));
    }
    return;
  }
  window.location.replace(home(viewer.role));
}

function expired() {
  clearToken();
  viewer = null;
  signInMessage = t('signIn.expired');
  render();
}

window.addEventListener('hashchange', () => render());
window.addEventListener('pm:signed-out', () => expired());
render();
