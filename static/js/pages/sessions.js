/**
 * The session view (SPEC C4): one tab per session; in each, the terminal (it follows the size of
 * its box), Copy / Paste / End session, the busy or failed Jump with Retry, and beside it the
 * file panel and the system information. Terminals live in the session manager, so leaving this
 * page and coming back finds them as they were.
 */
import { h } from '../dom.js';
import { errorMessage, t } from '../i18n.js';
import { renderFilePanel } from '../components/file-panel.js';
import { activeSession, closeSession, endSession, jump, onSessions, sessions, setActive } from '../components/session-manager.js';
import { renderSysinfoPanel } from '../components/sysinfo-panel.js';

let unsubscribe = null;
let countdown = 0;

function stateText(entry) {
  if (entry.state === 'ended' && entry.exitCode !== null) return t('session.exited', { code: entry.exitCode });
  return t(`session.state.${entry.state}`);
}

function tabs(list, active) {
  const bar = h(
    'div',
    { role: 'tablist', class: 'tabs', 'aria-label': t('session.tabs') },
    list.map((entry) =>
      h(
        'div',
        { class: 'tab-wrap' },
        h(
          'button',
          { type: 'button', role: 'tab', class: `tab state-${entry.state}`, id: `tab-${entry.key}`, 'aria-selected': String(entry === active), 'aria-controls': `panel-${entry.key}`, tabIndex: entry === active ? 0 : -1, onClick: () => setActive(entry.key) },
          h('span', { class: 'dot', 'aria-hidden': 'true' }),
          entry.client.name,
        ),
        h('button', { type: 'button', class: 'tab-close', 'aria-label': t('session.close', { name: entry.client.name }), title: t('session.close', { name: entry.client.name }), onClick: () => closeSession(entry) }, '×'),
      ),
    ),
  );
  bar.addEventListener('keydown', (e) => {
    const i = list.indexOf(active);
    const next = e.key === 'ArrowRight' ? list[(i + 1) % list.length] : e.key === 'ArrowLeft' ? list[(i - 1 + list.length) % list.length] : null;
    if (!next) return;
    e.preventDefault();
    setActive(next.key);
    document.getElementById(`tab-${next.key}`)?.focus();
  });
  return bar;
}

function problem(entry) {
  if (entry.state !== 'busy' && entry.state !== 'failed') return null;
  const wait = Math.max(0, Math.ceil((entry.retryAt - Date.now()) / 1000));
  const retry = h('button', { type: 'button', class: 'secondary', id: `retry-${entry.key}`, disabled: entry.state === 'busy' && wait > 0, onClick: () => jump(entry) }, wait > 0 && entry.state === 'busy' ? t('session.retryIn', { n: wait }) : t('session.retry'));
  return h('div', { class: 'alert session-problem', role: 'alert' }, h('p', {}, errorMessage(entry.error)), h('code', { class: 'alert-code' }, entry.error.code), retry);
}

function panel(entry) {
  const files = h('section', { class: 'side-section', 'aria-label': t('files.title') });
  const sys = h('section', { class: 'side-section', 'aria-label': t('sys.title') });
  renderFilePanel(files, entry);
  renderSysinfoPanel(sys, entry);
  const active = entry.state === 'active';
  return h(
    'div',
    { role: 'tabpanel', id: `panel-${entry.key}`, class: 'session-panel', 'aria-labelledby': `tab-${entry.key}` },
    h(
      'div',
      { class: 'session-toolbar' },
      h('h1', { class: 'session-title' }, entry.client.name),
      h('span', { class: `badge session-${entry.state}`, id: `session-state-${entry.key}` }, stateText(entry)),
      h('span', { class: 'spacer' }),
      h('button', { type: 'button', class: 'secondary small', onClick: () => entry.terminal.copy(), title: 'Ctrl+Shift+C' }, t('session.copy')),
      h('button', { type: 'button', class: 'secondary small', onClick: () => entry.terminal.paste(), disabled: !active, title: 'Ctrl+Shift+V' }, t('session.paste')),
      h('button', { type: 'button', class: 'danger small', id: `end-${entry.key}`, disabled: !active, onClick: () => endSession(entry) }, t('session.end')),
    ),
    h('div', { class: 'session-body' }, h('div', { class: 'term-area' }, problem(entry), entry.terminal.host), h('aside', { class: 'session-side' }, files, sys)),
  );
}

/** @param {HTMLElement} root */
export function renderSessions(root) {
  unsubscribe?.();
  let lastSig = '';
  const draw = () => {
    if (!root.isConnected) {
      unsubscribe?.();
      unsubscribe = null;
      return;
    }
    const list = sessions();
    const active = activeSession();
    lastSig = list.map((e) => `${e.key}:${e.state}`).join(',') + `|${active?.key}`;
    if (list.length === 0) {
      root.replaceChildren(h('div', { class: 'card empty-state' }, h('h1', {}, t('session.title')), h('p', { id: 'no-sessions' }, t('session.none')), h('a', { href: '#/jump' }, t('session.toJump'))));
      return;
    }
    root.replaceChildren(h('div', { class: 'sessions-page' }, tabs(list, active), panel(active)));
    requestAnimationFrame(() => active.terminal.attach());
  };
  unsubscribe = onSessions(() => {
    const sig = sessions().map((e) => `${e.key}:${e.state}`).join(',') + `|${activeSession()?.key}`;
    if (sig !== lastSig) draw();
  });
  clearInterval(countdown);
  countdown = window.setInterval(() => {
    if (!root.isConnected) return clearInterval(countdown);
    const busy = sessions().find((e) => e.state === 'busy');
    if (busy) draw();
  }, 1000);
  draw();
}
