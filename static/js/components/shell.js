/**
 * The frame of the signed-in console: the main navigation (Jump Clients, Sessions, Installers,
 * Reports and, for administrators, Users, API accounts, Jump Groups, Settings, Status), who is signed in, and
 * Log out. Pages draw into the element it returns.
 */
import { post } from '../api.js';
import { h } from '../dom.js';
import { errorMessage, t } from '../i18n.js';
import { clearSession, store } from '../store.js';
import { toast } from './dialog.js';
import { isAdmin } from './directory.js';
import { stopFeed } from './live-feed.js';
import { forgetSessions, onSessions, sessions } from './session-manager.js';

/** [route, i18n key, admins only] */
export const NAV = [
  ['jump', 'nav.jump', false],
  ['sessions', 'nav.sessions', false],
  ['admin/installers', 'nav.installers', false],
  ['reports', 'nav.reports', false],
  ['admin/users', 'nav.users', true],
  ['admin/api-accounts', 'nav.apiAccounts', true],
  ['admin/groups', 'nav.groups', true],
  ['admin/settings', 'nav.settings', true],
  ['status', 'nav.status', true],
];

/** Who is signed in, as display name and username (a user, or an API account). */
export function identity(me) {
  if (me?.user) return { name: me.user.display_name || me.user.username, username: me.user.username, admin: me.user.is_admin };
  if (me?.api_account) return { name: me.api_account.name, username: `api:${me.api_account.name}`, admin: me.api_account.is_admin };
  return { name: '?', username: '?', admin: false };
}

/** Logs out: ends the feed and the sessions, then back to the login page. */
export async function logOut(button, done) {
  button.disabled = true;
  button.textContent = t('home.loggingOut');
  try {
    await post('/api/auth/logout', undefined, { authenticated: false });
    stopFeed();
    forgetSessions();
    done();
    clearSession('login.loggedOut');
  } catch (error) {
    toast(errorMessage(error), 'error');
    button.disabled = false;
    button.textContent = t('home.logout');
  }
}

let stopCount = null;

/**
 * @param {HTMLElement} root
 * @param {string} route
 * @param {() => void} onLogout forgets the pages' state
 * @returns {HTMLElement} the element the page draws into
 */
export function renderShell(root, route, onLogout) {
  const who = identity(store.get().me);
  const count = h('span', { class: 'count-badge', id: 'session-count' });
  const setCount = () => {
    const n = sessions().length;
    count.textContent = n ? String(n) : '';
    count.hidden = n === 0;
  };
  stopCount?.();
  stopCount = onSessions(setCount);
  setCount();
  const links = NAV.filter(([, , adminOnly]) => !adminOnly || isAdmin()).map(([path, key]) =>
    h('a', { href: `#/${path}`, class: 'nav-link', 'aria-current': route === path ? 'page' : undefined }, t(key), path === 'sessions' ? count : null),
  );
  const logout = h('button', { type: 'button', id: 'logout', class: 'secondary small' }, t('home.logout'));
  logout.addEventListener('click', () => logOut(logout, onLogout));
  const page = h('div', { class: 'page', id: 'page' });
  root.replaceChildren(
    h(
      'nav',
      { class: 'appnav', 'aria-label': t('nav.label') },
      h('div', { class: 'nav-links' }, links),
      h('div', { class: 'nav-user' }, h('a', { href: '#/account', class: 'nav-link', id: 'nav-account', 'aria-current': route === 'account' ? 'page' : undefined, title: t('nav.account') }, who.name), logout),
    ),
    page,
  );
  return page;
}
