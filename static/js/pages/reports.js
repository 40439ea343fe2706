/**
 * Reports (SPEC C5, S6): the sessions (who, which Jump Client, when, how it ended; play the
 * recording) and the audit log of changes, each with filters and pages.
 */
import { getPage } from '../api.js';
import { h } from '../dom.js';
import { errorMessage, t } from '../i18n.js';
import { dataTable, inputField, pager, selectField } from '../components/admin-ui.js';
import { playRecording } from '../components/asciicast-player.js';
import { bytes, dateTime } from '../components/format.js';
import { auditColumns, ITEM_TYPES, EVENT_TYPES } from '../components/audit-view.js';

const state = { tab: 'sessions', page: 1, filters: {} };

const SESSION_COLUMNS = () => [
  { label: t('rep.started'), cell: (s) => dateTime(s.started_at) },
  { label: t('rep.ended'), cell: (s) => dateTime(s.ended_at) },
  { label: t('rep.user'), cell: (s) => s.username },
  { label: t('rep.client'), cell: (s) => s.jump_client_name },
  { label: t('rep.outcome'), cell: (s) => h('span', { class: `badge outcome-${s.outcome}` }, t(`outcome.${s.outcome}`)) },
  { label: t('rep.reason'), cell: (s) => s.end_reason ?? '' },
  { label: t('rep.bytes'), class: 'num', cell: (s) => `↑ ${bytes(s.bytes_to_client)} · ↓ ${bytes(s.bytes_from_client)}` },
  { label: t('rep.recording'), cell: (s) => h('button', { type: 'button', class: 'secondary small', 'data-play': s.id, onClick: () => playRecording(s.id, s.jump_client_name) }, t('rep.play')) },
];

function filterForm(draw) {
  const f = state.filters;
  const from = inputField({ id: 'rep-from', label: t('rep.from'), type: 'date', value: f.from ?? '' });
  const to = inputField({ id: 'rep-to', label: t('rep.to'), type: 'date', value: f.to ?? '' });
  const fields = [from, to];
  let extra = [];
  if (state.tab === 'sessions') {
    extra = [['username', inputField({ id: 'rep-user', label: t('rep.user'), value: f.username ?? '' })]];
  } else {
    extra = [
      ['actor', inputField({ id: 'rep-actor', label: t('rep.actor'), value: f.actor ?? '' })],
      ['item_type', selectField({ id: 'rep-item-type', label: t('rep.itemType'), options: [['', t('rep.any')], ...ITEM_TYPES.map((x) => [x, t(`item.${x}`)])], value: f.item_type ?? '' })],
      ['event_type', selectField({ id: 'rep-event-type', label: t('rep.eventType'), options: [['', t('rep.any')], ...EVENT_TYPES.map((x) => [x, t(`event.${x}`)])], value: f.event_type ?? '' })],
      ['item_id', inputField({ id: 'rep-item-id', label: t('rep.itemId'), value: f.item_id ?? '' })],
    ];
  }
  const form = h('form', { class: 'filters', 'aria-label': t('rep.filters') }, fields.map((x) => x.row), extra.map(([, x]) => x.row), h('button', { type: 'submit', class: 'secondary' }, t('rep.apply')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    state.filters = { from: from.input.value, to: to.input.value };
    for (const [key, x] of extra) state.filters[key] = x.input.value.trim();
    state.page = 1;
    draw();
  });
  return form;
}

function query() {
  const p = new URLSearchParams({ per_page: '50', current_page: String(state.page) });
  for (const [k, v] of Object.entries(state.filters)) {
    if (!v) continue;
    p.set(k, k === 'to' ? `${v}T23:59:59Z` : k === 'from' ? `${v}T00:00:00Z` : v);
  }
  return p;
}

/** @param {HTMLElement} root */
export function renderReports(root) {
  const slot = h('div', {}, h('p', { class: 'muted' }, t('common.loading')));
  const draw = async () => {
    renderReports(root);
  };
  const tab = (name) => h('button', { type: 'button', role: 'tab', id: `rep-tab-${name}`, 'aria-selected': String(state.tab === name), class: 'tab', onClick: () => { state.tab = name; state.page = 1; state.filters = {}; draw(); } }, t(`rep.${name}`));
  root.replaceChildren(
    h('div', { class: 'admin-page' },
      h('div', { class: 'page-head' }, h('h1', {}, t('nav.reports'))),
      h('div', { role: 'tablist', class: 'tabs', 'aria-label': t('nav.reports') }, tab('sessions'), tab('audit')),
      h('section', { class: 'card', role: 'tabpanel', 'aria-labelledby': `rep-tab-${state.tab}` }, filterForm(draw), slot)),
  );
  const path = state.tab === 'sessions' ? '/api/reporting/v1/session' : '/api/reporting/v1/jump-item-event';
  getPage(`${path}?${query()}`).then(
    ({ items, lastPage }) => {
      if (!slot.isConnected) return;
      const table = dataTable({ caption: t(`rep.${state.tab}`), id: `rep-${state.tab}`, empty: t('rep.none'), rows: items, columns: state.tab === 'sessions' ? SESSION_COLUMNS() : auditColumns() });
      slot.replaceChildren(table, pager({ page: state.page, lastPage, onPage: (p) => { state.page = p; draw(); }, label: { prev: t('common.prev'), next: t('common.next'), nav: t('common.pages') } }) ?? '');
    },
    (error) => slot.replaceChildren(h('p', { class: 'alert', role: 'alert' }, errorMessage(error))),
  );
}
