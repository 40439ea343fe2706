/**
 * The status of the hub (SPEC C5): Jump Clients connected, spawns in flight against the cap (from
 * the settings) and the most at once, and recent busy refusals (E-BUSY), read from the appliance's
 * Prometheus text at `/metrics` every five seconds while the page is open; the recent history is
 * kept for the console's lifetime.
 */
import { get } from '../api.js';
import { h } from '../dom.js';
import { errorMessage, t } from '../i18n.js';
import { dateTime } from '../components/format.js';

const history = [];
let timer = 0;

/** Sums each metric over its labels: `name{a="b"} 3` lines → { name: 3 }. */
export function parseMetrics(text) {
  const out = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const value = Number(match[3]);
    if (Number.isFinite(value)) out[match[1]] = (out[match[1]] ?? 0) + value;
  }
  return out;
}

async function sample() {
  const res = await fetch('/metrics', { cache: 'no-store', credentials: 'same-origin' });
  if (!res.ok) throw Object.assign(new Error(res.statusText), { code: `http_${res.status}` });
  const m = parseMetrics(await res.text());
  const settings = await get('/api/config/v1/settings');
  const previous = history[history.length - 1];
  const refused = m.jumpgate_spawns_refused_busy_total ?? 0;
  history.push({ at: Date.now(), agents: m.jumpgate_agents_connected ?? 0, inFlight: m.jumpgate_spawns_in_flight ?? 0, cap: settings.max_concurrent_spawns, peak: m.jumpgate_spawns_in_flight_max ?? 0, refused, newlyRefused: previous ? Math.max(0, refused - previous.refused) : 0 });
  if (history.length > 60) history.shift();
}

const tile = (id, label, value, note) => h('div', { class: 'card tile' }, h('p', { class: 'tile-label' }, label), h('p', { class: 'tile-value', id }, String(value)), note ? h('p', { class: 'muted small' }, note) : null);

function draw(root, error) {
  const last = history[history.length - 1];
  const fiveMinutes = history.filter((s) => s.at > Date.now() - 300_000).reduce((n, s) => n + s.newlyRefused, 0);
  const rows = history.slice(-12).reverse();
  root.replaceChildren(
    h('div', { class: 'admin-page' },
      h('div', { class: 'page-head' }, h('h1', {}, t('nav.status')), h('span', { class: 'muted small' }, last ? t('status.updated', { time: dateTime(last.at) }) : '')),
      error ? h('p', { class: 'alert', role: 'alert' }, errorMessage(error)) : null,
      last
        ? h('div', { class: 'tiles' },
            tile('stat-agents', t('status.agents'), last.agents),
            tile('stat-spawns', t('status.spawns'), `${last.inFlight} / ${last.cap}`, t('status.spawnsNote', { peak: last.peak })),
            tile('stat-refused', t('status.refusedRecent'), fiveMinutes, t('status.refusedTotal', { n: last.refused })))
        : h('p', { class: 'muted' }, t('common.loading')),
      rows.length
        ? h('section', { class: 'card' }, h('h2', {}, t('status.history')),
            h('table', { class: 'data compact', id: 'status-history' },
              h('thead', {}, h('tr', {}, [t('status.time'), t('status.agents'), t('status.spawns'), t('status.refusedNew')].map((x) => h('th', { scope: 'col' }, x)))),
              h('tbody', {}, rows.map((s) => h('tr', {}, h('td', {}, dateTime(s.at)), h('td', { class: 'num' }, String(s.agents)), h('td', { class: 'num' }, `${s.inFlight} / ${s.cap}`), h('td', { class: 'num' }, String(s.newlyRefused)))))))
        : null,
    ),
  );
}

/** @param {HTMLElement} root */
export function renderStatus(root) {
  const tick = async () => {
    if (!root.isConnected) return clearInterval(timer);
    let error = null;
    try {
      await sample();
    } catch (err) {
      error = err;
    }
    if (root.isConnected) draw(root, error);
  };
  clearInterval(timer);
  draw(root, null);
  void tick();
  timer = window.setInterval(tick, 5000);
}
