/**
 * The left panel of the Jump interface (SPEC C1): all items, my personal group, the shared groups
 * I belong to and, for administrators, other users' personal groups. A group with tagged items
 * has an arrow that shows or hides its tags. A tree: arrows move, Right/Left open and close,
 * Enter or Space chooses.
 */
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { directory, isAdmin, me } from './directory.js';
import { groupKey } from './client-query.js';

const expanded = new Set();

/**
 * @param {{ current: { group: any, tag: string|null }, tagsOf: (type: string, id: number) => string[],
 *   choose: (group: any, tag: string|null) => void }} deps
 */
export function renderGroupTree({ current, tagsOf, choose }) {
  const isCurrent = (group, tag) =>
    (group === null && current.group === null) ||
    (group !== null && current.group !== null && group.type === current.group.type && group.id === current.group.id && tag === current.tag);

  const item = (label, group, tag = null, level = 1) => {
    const selected = isCurrent(group, tag);
    return h(
      'li',
      { role: 'treeitem', class: 'tree-item', 'aria-selected': String(selected), 'aria-level': String(level), tabIndex: selected ? 0 : -1, 'data-key': group ? `${groupKey(group.type, group.id)}|${tag ?? ''}` : 'all' },
      h('span', { class: 'tree-label' }, label),
    );
  };

  const groupItem = (label, group) => {
    const key = groupKey(group.type, group.id);
    const tags = tagsOf(group.type, group.id);
    const li = item(label, group);
    if (tags.length === 0) {
      li.prepend(h('span', { class: 'tree-arrow-space', 'aria-hidden': 'true' }));
      return li;
    }
    const open = expanded.has(key);
    li.setAttribute('aria-expanded', String(open));
    li.prepend(h('span', { class: 'tree-arrow', 'aria-hidden': 'true', 'data-toggle': key }, open ? '▾' : '▸'));
    if (open) li.append(h('ul', { role: 'group' }, tags.map((tag) => item(tag, group, tag, 2))));
    return li;
  };

  const self = me();
  const { shared, users } = directory();
  const all = item(t('tree.all'), null);
  all.prepend(h('span', { class: 'tree-arrow-space', 'aria-hidden': 'true' }));
  const items = [all];
  if (self) items.push(groupItem(`user:${self.username}`, { type: 'personal', id: self.id }));
  for (const g of shared.values()) items.push(groupItem(g.name, { type: 'shared', id: g.id }));
  const others = isAdmin() ? [...users.values()].filter((u) => u.id !== self?.id) : [];

  const tree = h(
    'ul',
    { role: 'tree', class: 'tree', 'aria-label': t('tree.label'), id: 'group-tree' },
    items,
    others.length ? h('li', { role: 'none', class: 'tree-heading' }, t('tree.others')) : null,
    others.map((u) => groupItem(`user:${u.username}`, { type: 'personal', id: u.id })),
  );
  if (!tree.querySelector('[tabindex="0"]')) tree.querySelector('.tree-item')?.setAttribute('tabindex', '0');

  const decode = (li) => {
    const key = li.dataset.key;
    if (key === 'all') return { group: null, tag: null };
    const [g, tag] = key.split('|');
    const [type, id] = g.split(':');
    const isTag = li.getAttribute('aria-level') === '2';
    return { group: { type, id: Number(id) }, tag: isTag ? tag : null, key: g };
  };
  const toggle = (key) => {
    if (expanded.has(key)) expanded.delete(key);
    else expanded.add(key);
  };
  const visibleItems = () => /** @type {HTMLElement[]} */ ([...tree.querySelectorAll('.tree-item')]);

  tree.addEventListener('click', (e) => {
    const target = /** @type {HTMLElement} */ (e.target);
    const li = target.closest('.tree-item');
    if (!(li instanceof HTMLElement)) return;
    const arrow = target.closest('[data-toggle]');
    if (arrow instanceof HTMLElement && arrow.dataset.toggle) {
      toggle(arrow.dataset.toggle);
      const d = decode(li);
      choose(d.group, d.tag); // redraws the tree with the tags shown or hidden
      return;
    }
    const d = decode(li);
    choose(d.group, d.tag);
  });
  tree.addEventListener('keydown', (e) => {
    const li = /** @type {HTMLElement} */ (e.target).closest('.tree-item');
    if (!(li instanceof HTMLElement)) return;
    const list = visibleItems();
    const at = list.indexOf(li);
    const focus = (el) => {
      if (!el) return;
      list.forEach((x) => x.setAttribute('tabindex', '-1'));
      el.setAttribute('tabindex', '0');
      el.focus();
    };
    const d = decode(li);
    if (e.key === 'ArrowDown') focus(list[at + 1]);
    else if (e.key === 'ArrowUp') focus(list[at - 1]);
    else if (e.key === 'Home') focus(list[0]);
    else if (e.key === 'End') focus(list[list.length - 1]);
    else if ((e.key === 'ArrowRight' || e.key === 'ArrowLeft') && d.key && li.hasAttribute('aria-expanded')) {
      const open = li.getAttribute('aria-expanded') === 'true';
      if (open !== (e.key === 'ArrowRight')) toggle(d.key);
      choose(current.group, current.tag, li.dataset.key);
    } else if (e.key === 'Enter' || e.key === ' ') choose(d.group, d.tag, li.dataset.key);
    else return;
    e.preventDefault();
  });
  return tree;
}
