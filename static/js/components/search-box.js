/**
 * The search of the Jump interface (SPEC C2): type a phrase and press Enter; the magnifier opens a
 * list of the fields searched (comments, console user, group, Jump method, last access, name,
 * private IP, public IP, status, tag), each a checkbox.
 */
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { SEARCH_FIELDS } from './client-query.js';

/**
 * @param {{ text: string, fields: string[], search: (text: string, fields: string[]) => void }} deps
 */
export function renderSearchBox({ text, fields, search }) {
  const chosen = new Set(fields);
  const input = /** @type {HTMLInputElement} */ (
    h('input', { id: 'jc-search', type: 'search', value: text, placeholder: t('search.placeholder'), spellcheck: 'false', autocomplete: 'off' })
  );
  const boxes = SEARCH_FIELDS.map((f) => {
    const box = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id: `sf-${f}`, checked: chosen.has(f), 'data-field': f }));
    box.addEventListener('change', () => {
      if (box.checked) chosen.add(f);
      else if (chosen.size > 1) chosen.delete(f);
      else box.checked = true; // at least one field stays searched
    });
    return h('div', { class: 'check' }, box, h('label', { htmlFor: `sf-${f}` }, t(`field.${f}`)));
  });
  const popup = h(
    'div',
    { class: 'popover', id: 'search-fields', role: 'group', 'aria-label': t('search.fields'), hidden: true },
    h('p', { class: 'popover-title' }, t('search.fields')),
    boxes,
  );
  const magnifier = h(
    'button',
    { type: 'button', class: 'icon-button magnifier', id: 'search-fields-button', 'aria-label': t('search.fields'), title: t('search.fields'), 'aria-haspopup': 'true', 'aria-expanded': 'false', 'aria-controls': 'search-fields' },
    '⌕',
  );
  const setOpen = (open) => {
    popup.hidden = !open;
    magnifier.setAttribute('aria-expanded', String(open));
    if (open) /** @type {HTMLElement|null} */ (popup.querySelector('input'))?.focus();
  };
  const outside = (e) => {
    if (!wrap.isConnected) return document.removeEventListener('pointerdown', outside, true);
    if (!wrap.contains(/** @type {Node} */ (e.target))) setOpen(false);
  };
  magnifier.addEventListener('click', () => setOpen(popup.hidden));
  popup.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    e.preventDefault();
    setOpen(false);
    magnifier.focus();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    setOpen(false);
    search(input.value.trim(), SEARCH_FIELDS.filter((f) => chosen.has(f)));
  });
  document.addEventListener('pointerdown', outside, true);

  const wrap = h(
    'div',
    { class: 'search', role: 'search' },
    h('label', { htmlFor: 'jc-search', class: 'visually-hidden' }, t('search.label')),
    magnifier,
    input,
    popup,
  );
  return wrap;
}
