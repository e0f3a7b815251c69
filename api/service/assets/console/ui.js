// Small DOM helpers: elements are built from data with textContent only (never
// parsed as HTML), so nothing a user typed is ever read as markup.
import { t } from './i18n.js';

/** An element: h('button', {onclick, class: 'x'}, 'text', child…). */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.className = value;
    else if (value === true) node.setAttribute(key, '');
    else node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Replaces the main region's content and moves focus to its heading. A view that
 * finishes after the user has moved on (its route is no longer the address) draws
 * nothing, so a slow answer never covers the page asked for since.
 */
export function show(...children) {
  const main = document.getElementById('main');
  const route = main.dataset.route;
  if (route !== undefined && route !== (window.location.hash || '#/')) return;
  main.replaceChildren();
  append(main, children);
  const heading = main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
}

/** Says something to screen readers and sighted users, briefly. */
export function announce(message) {
  const status = document.getElementById('status');
  status.textContent = message;
  clearTimeout(announce.timer);
  announce.timer = setTimeout(() => { status.textContent = ''; }, 6000);
}

/** A refused action's message, in a box that assistive technology reads out. */
export function errorBox(message) {
  return h('p', { class: 'error-box', role: 'alert' }, message);
}

/** "Tuesday 16:00–17:00" for a weekly window. */
export function windowText(w) {
  return `${t(`day.${w.day}`)} ${w.start}–${w.end}`;
}

/** A horizontal bar chart in inline SVG: rows of {label, value}, with a title. */
export function barChart(title, rows, { max, format = (v) => String(v) } = {}) {
  const width = 520, labelWidth = 170, rowHeight = 24, barMax = width - labelWidth - 60;
  const top = Math.max(1, max ?? Math.max(0, ...rows.map((r) => r.value)));
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${rows.length * rowHeight + 4}`);
  svg.setAttribute('width', '100%');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `${title}: ${rows.map((r) => `${r.label} ${format(r.value)}`).join(', ')}`);
  rows.forEach((row, i) => {
    const y = i * rowHeight + 2;
    const label = document.createElementNS(svg.namespaceURI, 'text');
    label.setAttribute('x', '0');
    label.setAttribute('y', String(y + 16));
    label.textContent = row.label;
    const bar = document.createElementNS(svg.namespaceURI, 'rect');
    bar.setAttribute('x', String(labelWidth));
    bar.setAttribute('y', String(y + 3));
    bar.setAttribute('height', '16');
    bar.setAttribute('width', String(Math.max(1, (row.value / top) * barMax)));
    bar.setAttribute('fill', '#0b5394');
    const value = document.createElementNS(svg.namespaceURI, 'text');
    value.setAttribute('x', String(labelWidth + Math.max(1, (row.value / top) * barMax) + 6));
    value.setAttribute('y', String(y + 16));
    value.textContent = format(row.value);
    svg.append(label, bar, value);
  });
  return h('figure', {}, h('figcaption', {}, title), svg);
}

/** Saves `blob` as a file named `name`, as a link click would. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
