/**
 * A context menu (role=menu) at a point: arrow keys move, Enter runs, Escape or a click elsewhere
 * closes it and returns the focus.
 */
import { h } from '../dom.js';

let openMenu = null;

/** Closes the open menu, if any. */
export function closeMenu() {
  openMenu?.();
}

/**
 * @param {{ x: number, y: number, label: string, items: { label: string, action: () => void, disabled?: boolean, danger?: boolean }[] }} options
 */
export function showMenu({ x, y, label, items }) {
  closeMenu();
  const previous = document.activeElement;
  const buttons = items.map((item) =>
    h(
      'button',
      { type: 'button', role: 'menuitem', class: item.danger ? 'menu-item danger-text' : 'menu-item', disabled: item.disabled, tabIndex: -1 },
      item.label,
    ),
  );
  const menu = h('div', { class: 'context-menu', role: 'menu', 'aria-label': label }, buttons);
  const enabled = () => buttons.filter((b) => !b.disabled);
  const close = (restore = true) => {
    menu.remove();
    document.removeEventListener('pointerdown', outside, true);
    openMenu = null;
    if (restore && previous instanceof HTMLElement) previous.focus();
  };
  const outside = (e) => {
    if (!menu.contains(/** @type {Node} */ (e.target))) close(false);
  };
  buttons.forEach((b, i) =>
    b.addEventListener('click', () => {
      close();
      items[i].action();
    }),
  );
  menu.addEventListener('keydown', (e) => {
    const list = enabled();
    const at = list.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
    if (e.key === 'ArrowDown') list[(at + 1) % list.length]?.focus();
    else if (e.key === 'ArrowUp') list[(at - 1 + list.length) % list.length]?.focus();
    else if (e.key === 'Home') list[0]?.focus();
    else if (e.key === 'End') list[list.length - 1]?.focus();
    else if (e.key === 'Escape' || e.key === 'Tab') close();
    else return;
    e.preventDefault();
  });
  document.body.append(menu);
  const rect = menu.getBoundingClientRect();
  menu.style.left = `${Math.min(x, window.innerWidth - rect.width - 8)}px`;
  menu.style.top = `${Math.min(y, window.innerHeight - rect.height - 8)}px`;
  document.addEventListener('pointerdown', outside, true);
  openMenu = close;
  enabled()[0]?.focus();
}
