/**
 * The Jump Client list as a virtual grid: only the rows in view (plus a few) exist in the DOM,
 * absolutely placed inside a body as tall as the whole list, so 100,000 items scroll like 100.
 * Selection (click, ctrl/shift click, keyboard), double-click to Jump, the context menu.
 * Keyboard: arrows, Page Up/Down, Home/End move; Shift extends; Ctrl moves without selecting;
 * Space toggles; Ctrl+A selects all loaded rows; Enter jumps; Delete removes; F2 opens Properties;
 * Shift+F10 or the menu key opens the context menu.
 */
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { fillRow, makeHeader, makeRow } from './client-columns.js';

export const ROW_HEIGHT = 32;
const OVERSCAN = 8;

/**
 * @param {{ model: any, groupNameOf: (type: string, id: number) => string, on: {
 *   select: (ids: number[], row: any) => void, jump: (row: any) => void, remove: () => void,
 *   properties: () => void, menu: (x: number, y: number) => void } }} deps
 */
export function createClientList({ model, groupNameOf, on }) {
  const selected = new Set();
  let active = -1;
  let anchor = -1;
  let frame = 0;
  let headSig = '';
  const pool = [];
  const body = h('div', { class: 'grid-body', role: 'rowgroup' });
  const headGroup = h('div', { role: 'rowgroup', class: 'grid-headgroup' });
  const scroller = h('div', { class: 'grid-scroll', role: 'grid', id: 'client-grid', tabIndex: 0, 'aria-multiselectable': 'true', 'aria-label': t('list.label') }, headGroup, body);
  const empty = h('div', { class: 'grid-empty', hidden: true });
  const root = h('div', { class: 'grid-wrap' }, scroller, empty);

  const rowsInView = () => Math.max(1, Math.floor((scroller.clientHeight - ROW_HEIGHT) / ROW_HEIGHT));
  const notify = () => on.select([...selected], active >= 0 ? model.rowAt(active) : null);

  function render() {
    frame = 0;
    const total = model.total;
    const sig = `${model.sort.key}:${model.sort.dir}`;
    if (sig !== headSig) {
      const focused = headGroup.contains(document.activeElement) ? document.activeElement?.getAttribute('data-sort') : null;
      headGroup.replaceChildren(makeHeader(model.sort, (key) => model.setSort(key)));
      headSig = sig;
      if (focused) /** @type {HTMLElement|null} */ (headGroup.querySelector(`[data-sort="${focused}"]`))?.focus();
    }
    scroller.setAttribute('aria-rowcount', String(total + 1));
    body.style.height = `${total * ROW_HEIGHT}px`;
    const top = scroller.scrollTop;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(total - 1, Math.ceil((top + scroller.clientHeight) / ROW_HEIGHT) + OVERSCAN);
    model.ensure(first, last);
    const count = Math.max(0, last - first + 1);
    while (pool.length < count) {
      const row = makeRow();
      pool.push(row);
      body.append(row);
    }
    pool.forEach((el, k) => {
      const index = first + k;
      el.hidden = k >= count;
      if (el.hidden) return;
      const row = model.rowAt(index);
      fillRow(el, row, groupNameOf);
      el.id = `jc-row-${index}`;
      el.dataset.index = String(index);
      el.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
      el.setAttribute('aria-rowindex', String(index + 2));
      el.setAttribute('aria-selected', String(row !== null && selected.has(row.id)));
      el.classList.toggle('active', index === active);
    });
    if (active >= first && active <= last) scroller.setAttribute('aria-activedescendant', `jc-row-${active}`);
    else scroller.removeAttribute('aria-activedescendant');
    empty.hidden = !(model.loaded && total === 0);
  }
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(render);
  };

  /** Scrolls just enough for row `index` to show below the sticky header. */
  function reveal(index) {
    const top = ROW_HEIGHT + index * ROW_HEIGHT; // the body starts below the header row
    if (top - ROW_HEIGHT < scroller.scrollTop) scroller.scrollTop = index * ROW_HEIGHT;
    else if (top + ROW_HEIGHT > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = top + ROW_HEIGHT - scroller.clientHeight;
  }

  /** Moves the active row; `mode`: 'only' selects just it, 'extend' a range from the anchor, 'keep' nothing. */
  function moveTo(index, mode) {
    const total = model.total;
    if (total === 0) return;
    active = Math.max(0, Math.min(total - 1, index));
    if (mode === 'extend') {
      if (anchor < 0) anchor = active;
      selected.clear();
      const [a, b] = anchor < active ? [anchor, active] : [active, anchor];
      for (let i = a; i <= b; i++) {
        const row = model.rowAt(i);
        if (row) selected.add(row.id);
      }
    } else if (mode === 'only') {
      selected.clear();
      const row = model.rowAt(active);
      if (row) selected.add(row.id);
      anchor = active;
    }
    reveal(active);
    render();
    notify();
  }

  function toggle(index) {
    const row = model.rowAt(index);
    if (!row) return;
    if (selected.has(row.id)) selected.delete(row.id);
    else selected.add(row.id);
    active = anchor = index;
    render();
    notify();
  }

  const indexOf = (target) => {
    const el = /** @type {HTMLElement} */ (target).closest?.('.grid-row');
    return el instanceof HTMLElement ? Number(el.dataset.index) : -1;
  };

  body.addEventListener('click', (e) => {
    const index = indexOf(e.target);
    if (index < 0) return;
    if (e.shiftKey) moveTo(index, 'extend');
    else if (e.ctrlKey || e.metaKey) toggle(index);
    else moveTo(index, 'only');
    scroller.focus({ preventScroll: true });
  });
  body.addEventListener('dblclick', (e) => {
    const row = model.rowAt(indexOf(e.target));
    if (row) on.jump(row);
  });
  body.addEventListener('contextmenu', (e) => {
    const index = indexOf(e.target);
    const row = model.rowAt(index);
    if (!row) return;
    e.preventDefault();
    if (!selected.has(row.id)) moveTo(index, 'only');
    on.menu(e.clientX, e.clientY);
  });
  scroller.addEventListener('scroll', schedule, { passive: true });
  scroller.addEventListener('keydown', (e) => {
    if (e.target !== scroller) return;
    const mode = e.shiftKey ? 'extend' : e.ctrlKey || e.metaKey ? 'keep' : 'only';
    const page = rowsInView();
    const current = active < 0 ? -1 : active;
    const keys = {
      ArrowDown: () => moveTo(current + 1, mode),
      ArrowUp: () => moveTo(Math.max(0, current - 1), mode),
      PageDown: () => moveTo(current + page, mode),
      PageUp: () => moveTo(Math.max(0, current - page), mode),
      Home: () => moveTo(0, mode),
      End: () => moveTo(model.total - 1, mode),
      ' ': () => (e.ctrlKey || e.metaKey ? toggle(Math.max(0, active)) : moveTo(Math.max(0, active), 'only')),
      Enter: () => active >= 0 && model.rowAt(active) && on.jump(model.rowAt(active)),
      Delete: () => selected.size && on.remove(),
      F2: () => selected.size && on.properties(),
      ContextMenu: () => openMenuAtActive(),
    };
    let run = keys[e.key];
    if (e.key === 'F10' && e.shiftKey) run = openMenuAtActive;
    if (e.key === 'a' && (e.ctrlKey || e.metaKey)) run = selectAllLoaded;
    if (!run) return;
    e.preventDefault();
    run();
  });

  function openMenuAtActive() {
    if (active < 0 || !selected.size) return;
    const el = document.getElementById(`jc-row-${active}`);
    const rect = (el ?? scroller).getBoundingClientRect();
    on.menu(rect.left + 40, rect.top + ROW_HEIGHT);
  }
  function selectAllLoaded() {
    for (let i = 0; i < model.total; i++) {
      const row = model.rowAt(i);
      if (row) selected.add(row.id);
    }
    render();
    notify();
  }

  new ResizeObserver(schedule).observe(scroller);

  return {
    root,
    scroller,
    render: schedule,
    /** After a language change: the header and the grid's label in the new language. */
    relabel() {
      headSig = '';
      scroller.setAttribute('aria-label', t('list.label'));
      render();
    },
    renderNow: render,
    setEmpty: (...nodes) => empty.replaceChildren(...nodes),
    selectedIds: () => [...selected],
    /** Forgets the selection; back to the top unless `keepScroll`. */
    clearSelection(keepScroll = false) {
      selected.clear();
      active = anchor = -1;
      if (!keepScroll) scroller.scrollTop = 0;
      schedule();
      notify();
    },
    /** Forgets removed ids. */
    prune(ids) {
      let changed = false;
      for (const id of ids) changed = selected.delete(id) || changed;
      if (changed) notify();
    },
  };
}
