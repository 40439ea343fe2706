/**
 * DOM helpers for the console. Everything is built with createElement and textContent: names,
 * hostnames and comments come from the server and from agents, so they are attacker-controlled and
 * must never be parsed as HTML. This file deliberately offers no way to set markup.
 */

/** Properties that are set on the element itself rather than as attributes. */
const PROPERTIES = new Set(['value', 'checked', 'disabled', 'hidden', 'type', 'id', 'htmlFor', 'tabIndex']);

/**
 * Creates an element.
 * @param {string} tag
 * @param {Record<string, unknown>} [props] `class`, properties, `on<Event>` handlers, attributes
 * @param {...any} children nodes, strings (become text nodes), arrays of them (nested at any depth); empty values are skipped
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') {
      el.className = String(value);
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), /** @type {EventListener} */ (value));
    } else if (key === 'innerHTML' || key === 'outerHTML' || key === 'style') {
      throw new Error(`h(): "${key}" is not allowed`);
    } else if (PROPERTIES.has(key)) {
      /** @type {any} */ (el)[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

/** Appends children; strings and numbers become text nodes, empty values are skipped. */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replaces all of `parent`'s children. */
export function mount(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

/** A label + input pair: the label is tied to the input so it is read out and clickable. */
export function field({ id, label, type = 'text', name = id, autocomplete, required = true, value = '' }) {
  const input = /** @type {HTMLInputElement} */ (
    h('input', { id, name, type, autocomplete, required, value, spellcheck: 'false', autocapitalize: 'off' })
  );
  const row = h('div', { class: 'field' }, h('label', { htmlFor: id }, label), input);
  return { row, input };
}

/** A paragraph that announces itself to screen readers when text is put in it. */
export function alertBox(id) {
  return h('p', { id, class: 'alert', role: 'alert', hidden: true });
}

/**
 * Shows an error in an alert box: its message, and its code in small print.
 * @param {HTMLElement} box
 * @param {{ message: string, code?: string } | null} error null hides the box
 */
export function showError(box, error) {
  if (!error) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  box.replaceChildren(h('span', { class: 'alert-text' }, error.message));
  if (error.code) box.append(' ', h('code', { class: 'alert-code' }, error.code));
  box.hidden = false;
}

/** A term/description row for a `<dl>`. */
export function detail(term, ...description) {
  return [h('dt', {}, term), h('dd', {}, ...description)];
}
