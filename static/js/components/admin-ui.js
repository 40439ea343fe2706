/**
 * Building blocks of the administration pages: a data table with an empty state, a pager, and
 * labelled form fields (select, checkbox, input). Cells are text or nodes built with dom.js.
 */
import { h } from '../dom.js';

/**
 * @template T
 * @param {{ caption: string, columns: { label: string, cell: (row: T) => any, class?: string }[],
 *   rows: T[], empty: string, id?: string, rowId?: (row: T) => string }} options
 */
export function dataTable({ caption, columns, rows, empty, id, rowId }) {
  if (rows.length === 0) return h('p', { class: 'empty', id }, empty);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'data', id },
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
      h(
        'tbody',
        {},
        rows.map((row) =>
          h('tr', { 'data-id': rowId?.(row) }, columns.map((c) => h('td', { class: c.class }, c.cell(row)))),
        ),
      ),
    ),
  );
}

/** Previous / next buttons for a paginated list. */
export function pager({ page, lastPage, onPage, label }) {
  if (lastPage <= 1) return null;
  const prev = h('button', { type: 'button', class: 'secondary small', disabled: page <= 1, onClick: () => onPage(page - 1) }, '‹');
  const next = h('button', { type: 'button', class: 'secondary small', disabled: page >= lastPage, onClick: () => onPage(page + 1) }, '›');
  prev.setAttribute('aria-label', label.prev);
  next.setAttribute('aria-label', label.next);
  return h('nav', { class: 'pager', 'aria-label': label.nav }, prev, h('span', {}, `${page} / ${lastPage}`), next);
}

/** A labelled <select>; options are [value, text] pairs. */
export function selectField({ id, label, options, value }) {
  const select = /** @type {HTMLSelectElement} */ (
    h('select', { id, name: id }, options.map(([v, text]) => h('option', { value: String(v), selected: String(v) === String(value) }, text)))
  );
  return { row: h('div', { class: 'field' }, h('label', { htmlFor: id }, label), select), input: select };
}

/** A labelled checkbox. */
export function checkField({ id, label, checked = false }) {
  const input = /** @type {HTMLInputElement} */ (h('input', { id, name: id, type: 'checkbox', checked }));
  return { row: h('div', { class: 'check' }, input, h('label', { htmlFor: id }, label)), input };
}

/** A labelled text, number or multi-line input with an optional hint. */
export function inputField({ id, label, value = '', type = 'text', hint, multiline = false, min, max, required = false }) {
  const input = multiline
    ? h('textarea', { id, name: id, rows: 3 })
    : h('input', { id, name: id, type, min, max, required, spellcheck: 'false', autocapitalize: 'off' });
  /** @type {any} */ (input).value = value === null || value === undefined ? '' : String(value);
  const hintId = hint ? `${id}-hint` : undefined;
  if (hintId) input.setAttribute('aria-describedby', hintId);
  return {
    row: h('div', { class: 'field' }, h('label', { htmlFor: id }, label), input, hint ? h('small', { id: hintId, class: 'muted' }, hint) : null),
    input: /** @type {HTMLInputElement} */ (input),
  };
}
