/**
 * The columns of the Jump Client list (SPEC C1): their labels, the text of each cell, and the
 * status badge. Cells are filled with textContent only: names, tags and comments come from agents.
 */
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { dateTime, statusText } from './format.js';

/** @type {{ key: string, label: string }[]} key is also the sort key */
export const COLUMNS = [
  { key: 'name', label: 'col.name' },
  { key: 'hostname', label: 'col.hostname' },
  { key: 'status', label: 'col.status' },
  { key: 'tag', label: 'col.tag' },
  { key: 'comments', label: 'col.comments' },
  { key: 'console_user', label: 'col.console_user' },
  { key: 'private_ip', label: 'col.private_ip' },
  { key: 'public_ip', label: 'col.public_ip' },
  { key: 'last_access', label: 'col.last_access' },
  { key: 'group', label: 'col.group' },
];

/** The text of one cell. */
export function cellText(key, row, groupNameOf) {
  switch (key) {
    case 'status':
      return statusText(row.status);
    case 'last_access':
      return dateTime(row.last_access_timestamp);
    case 'group':
      return groupNameOf(row.jump_group_type, row.jump_group_id);
    default:
      return row[key] ?? '';
  }
}

/** A status badge: a coloured dot and the word (the colour is never the only signal). */
export function statusBadge(status) {
  return h('span', { class: `badge status-${status}` }, statusText(status));
}

/** One empty row of the grid with a cell per column; `fillRow` puts a client in it. */
export function makeRow() {
  const cells = COLUMNS.map((c) => h('div', { role: 'gridcell', class: `cell cell-${c.key}` }));
  return h('div', { role: 'row', class: 'grid-row' }, cells);
}

/**
 * Puts a client (or the loading placeholder when `row` is null) into a row element; a cell's text
 * is only touched when it changed, so scrolling rewrites as little of the page as possible.
 */
export function fillRow(el, row, groupNameOf) {
  const cells = /** @type {HTMLElement[]} */ ([...el.children]);
  el.classList.toggle('loading', row === null);
  COLUMNS.forEach((c, i) => {
    const text = row === null ? (i === 0 ? t('common.loading') : '') : String(cellText(c.key, row, groupNameOf));
    const cell = cells[i];
    if (cell.textContent !== text) cell.textContent = text;
    if (c.key === 'status') cell.className = `cell cell-status${row ? ` status-${row.status}` : ''}`;
    if (text.length > 24) cell.title = text;
    else if (cell.title) cell.removeAttribute('title');
  });
}

/** The header: one sort button per column, aria-sort on the current one. */
export function makeHeader(sort, onSort) {
  return h(
    'div',
    { role: 'row', class: 'grid-head', 'aria-rowindex': '1' },
    COLUMNS.map((c) => {
      const current = sort.key === c.key;
      const arrow = current ? (sort.dir === 1 ? ' ▲' : ' ▼') : '';
      return h(
        'div',
        { role: 'columnheader', class: `cell cell-${c.key}`, 'aria-sort': current ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none' },
        h('button', { type: 'button', class: 'sort', 'data-sort': c.key, title: t('list.sortBy', { column: t(c.label) }), onClick: () => onSort(c.key) }, t(c.label), h('span', { 'aria-hidden': 'true' }, arrow)),
      );
    }),
  );
}
