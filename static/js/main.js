/**
 * Boot: pick the language, draw the header's language switch, ask /api/auth/me whether the browser
 * already has a session (the HttpOnly cookie), and show the home page or the login page. The CSRF
 * token from /me or from the login is kept in the store, in memory only.
 */
import { ApiError, get, setSessionEndedHandler } from './api.js';
import { alertBox, h, mount, showError } from './dom.js';
import { LANGUAGES, errorMessage, getLang, initLang, setLang, t } from './i18n.js';
import { renderHome } from './pages/home.js';
import { renderLogin } from './pages/login.js';
import { clearSession, startSession, store } from './store.js';

const app = /** @type {HTMLElement} */ (document.getElementById('app'));
const langSlot = /** @type {HTMLElement} */ (document.getElementById('lang-switch'));
/** Texts of the static shell in index.html, by element id and i18n key. */
const SHELL_TEXTS = { tagline: 'app.tagline', 'skip-link': 'app.skip', 'footer-text': 'app.footer' };

const PAGES = { login: renderLogin, home: renderHome };

/** EN / IT buttons: a labelled group, the current language marked pressed. */
function renderLangSwitch() {
  const buttons = LANGUAGES.map((lang) =>
    h(
      'button',
      {
        type: 'button',
        class: 'lang',
        lang,
        'data-lang': lang,
        'aria-pressed': String(lang === getLang()),
        'aria-label': t(`lang.${lang}`),
        title: t(`lang.${lang}`),
        onClick: () => setLang(lang),
      },
      lang.toUpperCase(),
    ),
  );
  mount(langSlot, h('span', { class: 'lang-label', id: 'lang-label' }, t('lang.label')), ...buttons);
  langSlot.setAttribute('aria-labelledby', 'lang-label');
}

/** Draws the header texts and the current page. */
function render(changed) {
  const { page } = store.get();
  document.title = `jumpgate · ${t(page === 'home' ? 'home.title' : 'login.title')}`;
  for (const [id, key] of Object.entries(SHELL_TEXTS)) {
    const el = document.getElementById(id);
    if (el) el.textContent = t(key);
  }
  renderLangSwitch();
  if (changed.has('lang')) {
    const pressed = langSlot.querySelector(`[data-lang="${getLang()}"]`);
    if (pressed instanceof HTMLElement) pressed.focus();
  }
  const draw = PAGES[page];
  if (draw) draw(app, { focus: changed.has('page') });
  else mount(app, h('p', { class: 'muted', role: 'status' }, t('common.loading')));
}

/** The first question: is there a session already? 401 just means "not yet". */
async function boot() {
  initLang();
  render(new Set());
  store.subscribe((state, changed) => {
    if (changed.has('page') || changed.has('lang') || changed.has('me')) render(changed);
  });
  setSessionEndedHandler(() => clearSession('login.sessionEnded'));
  try {
    const me = await get('/api/auth/me', { authenticated: false });
    startSession(me, me.csrf_token);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      clearSession();
      return;
    }
    const box = alertBox('boot-error');
    mount(app, box);
    showError(box, { message: errorMessage(error), code: error.code });
  }
}

boot().catch((err) => console.error('the console could not start', err));
