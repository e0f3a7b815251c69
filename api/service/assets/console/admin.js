// ADMIN's screens: partners with their agreements, the audit log, the disclosure log.
import { gql } from './api.js';
import { lang, t } from './i18n.js';
import { h, show } from './ui.js';

function table(headers, rows) {
  return h('div', { class: 'table-wrap' }, h('table', {},
    h('thead', {}, h('tr', {}, headers.map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c) => h('td', {}, c)))))));
}

const when = (at) => new Date(at).toLocaleString(lang());

export async function partners() {
  const data = await gql(`{ partners(first: 100) { totalCount edges { node { id name kind status contactName
    agreements { schoolId startsOn endsOn dataSharing } } } } }`);
  const rows = data.partners.edges.map((e) => e.node);
  show(h('h1', {}, t('nav.partners')),
    table(['admin.partner', 'admin.kind', 'admin.status', 'admin.contact', 'admin.agreements'],
      rows.map((p) => [p.name, t(`partnerKind.${p.kind}`), t(`partnerStatus.${p.status}`), p.contactName ?? '—',
        p.agreements.map((a) => `${a.schoolId ?? t('admin.district')}: ${a.startsOn} – ${a.endsOn ?? '…'}` +
          (a.dataSharing ? '' : ` (${t('admin.noSharing')})`)).join('; ') || '—'])));
}

export async function audit() {
  const data = await gql(`{ auditLog(first: 100) { totalCount edges { node { at actor entity entityId action } } } }`);
  show(h('h1', {}, t('nav.audit')),
    h('p', { class: 'muted' }, t('admin.count', { n: data.auditLog.totalCount })),
    table(['admin.at', 'admin.actor', 'admin.entity', 'admin.action'],
      data.auditLog.edges.map(({ node: e }) => [when(e.at), e.actor, `${e.entity} ${e.entityId}`, e.action])));
}

export async function disclosures() {
  const data = await gql(`{ disclosures(first: 100) { totalCount edges { node { occurredAt partnerId actor studentId fields operation } } } }`);
  show(h('h1', {}, t('nav.disclosures')),
    h('p', { class: 'muted' }, t('admin.count', { n: data.disclosures.totalCount })),
    table(['admin.at', 'admin.partner', 'admin.student', 'admin.fields'],
      data.disclosures.edges.map(({ node: d }) => [when(d.occurredAt), `${d.partnerId} (${d.actor})`, d.studentId,
        `${d.fields.join(', ')}${d.operation ? ` · ${d.operation}` : ''}`])));
}
