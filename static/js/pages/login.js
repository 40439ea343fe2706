/**
 * The login page: username and password, a visible error (wrong password, throttled with the wait,
 * appliance unreachable), and on success the session starts (the cookie is set by the appliance;
 * the page keeps only the CSRF token, in memory).
 */
import { post } from '../api.js';
import { alertBox, field, h, mount, showError } from '../dom.js';
import { errorMessage, t } from '../i18n.js';
import { startSession, store } from '../store.js';

/** What survives a re-render (e.g. switching language): the username typed and the last error. */
const draft = { username: '', error: /** @type {import('../api.js').ApiError|null} */ (null) };

/** The text to show for a failed login, in the current language. */
function loginErrorText(error) {
  if (error.code === 'unauthorized') return t('login.failed');
  return errorMessage(error);
}

/**
 * @param {HTMLElement} root
 * @param {{ focus?: boolean }} [options] move the focus into the form (not when only the language changed)
 */
export function renderLogin(root, options = {}) {
  const username = field({ id: 'login-username', label: t('login.username'), autocomplete: 'username' });
  const password = field({
    id: 'login-password',
    label: t('login.password'),
    type: 'password',
    autocomplete: 'current-password',
  });
  username.input.value = draft.username;
  username.input.addEventListener('input', () => {
    draft.username = username.input.value;
  });

  const noticeKey = store.get().notice;
  const notice = h('p', { class: 'notice', role: 'status', hidden: !noticeKey }, noticeKey ? t(noticeKey) : '');
  const errorBox = alertBox('login-error');
  const submit = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit', class: 'primary' }, t('login.submit')));
  const form = h(
    'form',
    { class: 'card login', 'aria-labelledby': 'login-title', novalidate: true },
    h('h1', { id: 'login-title' }, t('login.title')),
    h('p', { class: 'muted' }, t('login.intro')),
    notice,
    errorBox,
    username.row,
    password.row,
    h('div', { class: 'actions' }, submit),
  );
  if (draft.error) {
    showError(errorBox, { message: loginErrorText(draft.error), code: draft.error.code });
    errorBox.setAttribute('role', 'status'); // already announced once; do not repeat on re-render
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = username.input.value.trim();
    if (!name || !password.input.value) {
      (name ? password.input : username.input).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = t('login.busy');
    showError(errorBox, null);
    notice.hidden = true;
    try {
      const answer = await post(
        '/api/auth/login',
        { username: name, password: password.input.value },
        { authenticated: false },
      );
      draft.username = '';
      draft.error = null;
      startSession({ kind: 'user', user: answer.user, api_account: null }, answer.csrf_token);
    } catch (error) {
      draft.error = error;
      errorBox.setAttribute('role', 'alert');
      showError(errorBox, { message: loginErrorText(error), code: error.code });
      password.input.value = '';
      password.input.focus();
      submit.disabled = false;
      submit.textContent = t('login.submit');
    }
  });

  mount(root, form);
  if (options.focus) (draft.username ? password.input : username.input).focus();
}
