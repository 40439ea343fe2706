/**
 * Feedback: modal dialogs on the native <dialog> element (a title, a body, buttons; focus moves
 * into the dialog, Escape closes it, and the focus returns where it was), and short toasts in a
 * polite live region.
 */
import { alertBox, h, showError } from '../dom.js';
import { errorMessage, t } from '../i18n.js';

/**
 * @param {{ title: string, body: Node|Node[], actions?: HTMLElement[], wide?: boolean, onClose?: () => void, id?: string }} options
 * @returns {{ dialog: HTMLDialogElement, close: () => void }}
 */
export function openDialog({ title, body, actions = [], wide = false, onClose, id }) {
  const previous = document.activeElement;
  const titleId = `dialog-title-${Math.random().toString(36).slice(2, 8)}`;
  const closeButton = h('button', { type: 'button', class: 'icon-button', 'aria-label': t('common.close'), title: t('common.close') }, '×');
  const dialog = /** @type {HTMLDialogElement} */ (
    h(
      'dialog',
      { class: wide ? 'dialog wide' : 'dialog', 'aria-labelledby': titleId, id },
      h('header', { class: 'dialog-head' }, h('h2', { id: titleId }, title), closeButton),
      h('div', { class: 'dialog-body' }, body),
      actions.length ? h('footer', { class: 'dialog-actions' }, actions) : null,
    )
  );
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    if (dialog.open) dialog.close();
    dialog.remove();
    onClose?.();
    if (previous instanceof HTMLElement && previous.isConnected) previous.focus();
  };
  closeButton.addEventListener('click', close);
  dialog.addEventListener('close', close);
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, close };
}

/**
 * A dialog around a form of the administration pages: its rows, an error box and Save (ids
 * `<id>-form`, `<id>-error`, `<id>-save`). On submit `save` runs; done, the dialog closes; refused,
 * the error shows in the dialog and it stays open.
 * @param {{ id: string, title: string, rows: any[], save: () => Promise<void> }} options
 */
export function formDialog({ id, title, rows, save }) {
  const errorBox = alertBox(`${id}-error`);
  const button = h('button', { type: 'submit', class: 'primary-inline', form: `${id}-form`, id: `${id}-save` }, t('action.save'));
  const form = h('form', { id: `${id}-form`, class: 'form' }, errorBox, rows);
  const { close } = openDialog({ title, body: form, actions: [button] });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await save();
      close();
    } catch (error) {
      showError(errorBox, { message: errorMessage(error), code: error.code });
    }
  });
}

/**
 * Asks a yes/no question; resolves true when confirmed.
 * @param {{ title: string, message: string, confirm: string, danger?: boolean }} options
 */
export function confirmDialog({ title, message, confirm, danger = false }) {
  return new Promise((resolve) => {
    let answer = false;
    const yes = h('button', { type: 'button', class: danger ? 'danger' : 'primary-inline' }, confirm);
    const no = h('button', { type: 'button', class: 'secondary' }, t('common.cancel'));
    const { close } = openDialog({
      title,
      body: h('p', {}, message),
      actions: [no, yes],
      onClose: () => resolve(answer),
    });
    yes.addEventListener('click', () => {
      answer = true;
      close();
    });
    no.addEventListener('click', close);
    yes.focus();
  });
}

/**
 * Asks before a destructive action, then does it; a failure shows as an error toast.
 * @param {{ title: string, message: string, confirm: string }} question
 * @param {() => Promise<void>} action
 */
export async function confirmThen(question, action) {
  if (!(await confirmDialog({ ...question, danger: true }))) return;
  try {
    await action();
  } catch (error) {
    toast(errorMessage(error), 'error');
  }
}

let region = null;

/**
 * A short message at the bottom of the page (saved, removed, copied...).
 * @param {string} text plain text
 * @param {'info'|'error'} [kind]
 */
export function toast(text, kind = 'info') {
  if (!region?.isConnected) {
    region = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(region);
  }
  const item = h('p', { class: `toast ${kind}` }, text);
  region.append(item);
  while (region.children.length > 3) region.firstElementChild?.remove();
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

/** Copies text to the clipboard and says so. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    toast(t('common.copied'));
  } catch (err) {
    console.warn('the clipboard refused the copy', err);
    toast(t('common.copyFailed'), 'error');
  }
}
