/**
 * Boot: pick the language, draw the header's language switch, ask /api/auth/me whether the browser
 * already has a session (the HttpOnly cookie), and show the console or the login page. The CSRF
 * token from /me or from the login is kept in the store, in memory only. Signed in, the page
 * follows the address's hash (`#/jump`, `#/sessions`, `#/admin/installers`, ...).
 */
import { ApiError, get, setSessionEndedHandler } from './api.js';
import { alertBox, h, mount, showError } from './dom.js';
import { LANGUAGES, errorMessage, getLang, initLang, setLang, t } from './i18n.js';
import { startFeed, stopFeed } from './components/live-feed.js';
import { forgetSessions } from './components/session-manager.js';
import { NAV, renderShell } from './components/shell.js';
import { renderApiAccounts } from './pages/api-accounts.js';
import { renderGroups } from './pages/groups.js';
import { renderHome } from './pages/home.js';
import { renderInstallers } from './pages/installers.js';
import { renderJump, resetJumpPage } from './pages/jump.js';
import { renderLogin } from './pages/login.js';
import { renderReports } from './pages/reports.js';
import { renderSessions } from './pages/sessions.js';
import { renderSettings } from './pages/settings.js';
import { renderStatus } from './pages/status.js';
import { renderUsers } from './pages/users.js';
import { clearSession, startSession, store } from './store.js';

const app = /** @type {HTMLElement} */ (document.getElementById('app'));
const langSlot = /** @type {HTMLElement} */ (document.getElementById('lang-switch'));
/** Texts of the static shell in index.html, by element id and i18n key. */
const SHELL_TEXTS = { tagline: 'app.tagline', 'skip-link': 'app.skip', 'footer-text': 'app.footer' };

const ROUTES = {
  jump: renderJump,
  sessions: renderSessions,
  account: renderHome,
  'admin/installers': renderInstallers,
  'admin/users': renderUsers,
  'admin/api-accounts': renderApiAccounts,
  'admin/groups': renderGroups,
  'admin/settings': renderSettings,
  reports: renderReports,
  status: renderStatus,
};

/** The route in the address, `jump` when none or unknown. */
const currentRoute = () => {
  const route = location.hash.replace(/^#\/?/, '');
  return route in ROUTES ? route : 'jump';
};

/** EN / IT buttons: a labelled group, the current language marked pressed. */
function renderLangSwitch() {
  const buttons = LANGUAGES.map((lang) =>
    h(
      'button',
      { type: 'button', class: 'lang', lang, 'data-lang': lang, 'aria-pressed': String(lang === getLang()), 'aria-label': t(`lang.${lang}`), title: t(`lang.${lang}`), onClick: () => setLang(lang) },
      lang.toUpperCase(),
    ),
  );
  mount(langSlot, h('span', { class: 'lang-label', id: 'lang-label' }, t('lang.label')), ...buttons);
  langSlot.setAttribute('aria-labelledby', 'lang-label');
}

function forgetPages() {
  resetJumpPage();
}

/** Draws the header texts and the current page. */
function render(changed) {
  const { page, route } = store.get();
  const navKey = NAV.find(([path]) => path === route)?.[1] ?? (route === 'account' ? 'nav.account' : 'home.title');
  document.title = `jumpgate · ${t(page === 'home' ? navKey : 'login.title')}`;
  for (const [id, key] of Object.entries(SHELL_TEXTS)) {
    const el = document.getElementById(id);
    if (el) el.textContent = t(key);
  }
  renderLangSwitch();
  if (changed.has('lang')) {
    const pressed = langSlot.querySelector(`[data-lang="${getLang()}"]`);
    if (pressed instanceof HTMLElement) pressed.focus();
  }
  app.classList.toggle('wide', page === 'home');
  if (page === 'login') return renderLogin(app, { focus: changed.has('page') });
  if (page !== 'home') return mount(app, h('p', { class: 'muted', role: 'status' }, t('common.loading')));
  startFeed();
  const target = renderShell(app, route, forgetPages);
  ROUTES[route](target, { focus: changed.has('page') || changed.has('route') });
  if (changed.has('route') && !changed.has('lang')) {
    const heading = target.querySelector('h1');
    if (heading instanceof HTMLElement && route !== 'sessions') {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  }
}

/** The first question: is there a session already? 401 just means "not yet". */
async function boot() {
  initLang();
  store.set({ route: currentRoute() });
  render(new Set());
  store.subscribe((state, changed) => {
    if (changed.has('page') && state.page === 'login') {
      stopFeed();
      forgetSessions();
      forgetPages();
    }
    if (changed.has('page') || changed.has('lang') || changed.has('me') || changed.has('route')) render(changed);
  });
  window.addEventListener('hashchange', () => store.set({ route: currentRoute() }));
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
