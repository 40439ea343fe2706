/**
 * My account: who is signed in and whether they are an administrator, the appliance's version and
 * certificate fingerprint (GET /api/server-info), and Log out. Names come from the server and are
 * shown with textContent only.
 */
import { get } from '../api.js';
import { alertBox, detail, h, mount, showError } from '../dom.js';
import { errorMessage, t } from '../i18n.js';
import { identity } from '../components/shell.js';
import { store } from '../store.js';

/** The last /api/server-info answer, kept so a language switch does not fetch it again. */
let serverInfo = null;

function accountCard(me) {
  const who = identity(me);
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'account-title' },
    h('h2', { id: 'account-title' }, t('home.accountTitle')),
    h('p', { id: 'logged-in-as', class: 'lead' }, t('home.loggedInAs', { name: who.name, username: who.username })),
    h(
      'dl',
      { class: 'details' },
      detail(t('home.role'), h('span', { id: 'role' }, who.admin ? t('home.admin') : t('home.technician'))),
      detail(t('home.isAdmin'), h('span', { id: 'is-admin' }, who.admin ? t('home.yes') : t('home.no'))),
    ),
  );
}

function applianceCard(info, errorBox) {
  const rows = info
    ? [
        detail(t('home.version'), h('span', { id: 'appliance-version' }, info.version)),
        detail(
          t('home.fingerprint'),
          info.certificate_sha256
            ? h('code', { id: 'appliance-fingerprint', class: 'fingerprint' }, info.certificate_sha256)
            : h('span', { id: 'appliance-fingerprint', class: 'muted' }, t('home.noTls')),
        ),
        detail(t('home.publicUrl'), h('code', {}, info.public_url)),
      ]
    : [h('p', { class: 'muted' }, t('common.loading'))];
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'appliance-title', 'aria-busy': info ? 'false' : 'true' },
    h('h2', { id: 'appliance-title' }, t('home.applianceTitle')),
    errorBox,
    info ? h('dl', { class: 'details stacked' }, ...rows) : rows,
  );
}

/**
 * @param {HTMLElement} root
 * @param {{ focus?: boolean }} [options] move the focus to the heading (on arrival, not on a language switch)
 */
export function renderHome(root, options = {}) {
  const { me } = store.get();
  const errorBox = alertBox('home-error');
  const heading = h('h1', { id: 'home-title', tabIndex: -1 }, t('nav.account'));
  const appliance = applianceCard(serverInfo, errorBox);

  mount(root, h('div', { class: 'page-head' }, heading), h('div', { class: 'grid' }, accountCard(me), appliance));
  if (options.focus) heading.focus();
  if (serverInfo) return;

  get('/api/server-info')
    .then((info) => {
      serverInfo = info;
      if (appliance.isConnected) appliance.replaceWith(applianceCard(info, errorBox));
    })
    .catch((error) => showError(errorBox, { message: errorMessage(error), code: error.code }));
}
