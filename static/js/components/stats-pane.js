/**
 * The right pane of the Jump interface (SPEC C3): the statistics of the selected Jump Client, with
 * the Jump button at its top. Fetches the full row (`GET /jump-client/{id}`) so the statistics are
 * the latest the client reported; the list itself keeps only summaries.
 */
import { get } from '../api.js';
import { detail, h, mount } from '../dom.js';
import { errorMessage, reasonText, t } from '../i18n.js';
import { statusBadge } from './client-columns.js';
import { groupNameOf } from './directory.js';
import { bytes, dateTime, percentUsed, uptime } from './format.js';

let token = 0;

/** Active or passive; a passive client's wake port (and bound address) as it last reported them. */
function jumpMethod(c) {
  const method = t(`method.${c.connection_type}`);
  const listen = c.connection_type === 'passive' ? c.passive_listen : null;
  return listen ? `${method} · ${t('stats.wakePort', { port: listen.port })}${listen.address ? ` (${listen.address})` : ''}` : method;
}

function rows(c) {
  const s = c.statistics;
  const text = (v) => (v === null || v === undefined || v === '' ? '—' : String(v));
  return [
    detail(t('stats.hostname'), text(c.hostname)),
    detail(t('stats.fqdn'), text(s?.fqdn || c.fqdn)),
    detail(t('stats.os'), text([s?.operating_system || c.operating_system, s?.os_version].filter(Boolean).join(' '))),
    detail(t('stats.kernel'), text(s?.kernel)),
    detail(t('stats.arch'), text(s?.arch)),
    detail(t('field.console_user'), text(s?.console_user || c.console_user)),
    detail(t('field.private_ip'), text((s?.private_ips ?? [c.private_ip]).filter(Boolean).join(', '))),
    detail(t('field.public_ip'), text(c.public_ip)),
    detail(t('stats.uptime'), s ? uptime(s.uptime_seconds) : '—'),
    detail(t('stats.cpu'), s ? s.cpu_load.map((n) => n.toFixed(2)).join(' · ') : '—'),
    detail(t('stats.memory'), s ? `${bytes(s.memory_total_bytes - s.memory_free_bytes)} / ${bytes(s.memory_total_bytes)} (${percentUsed(s.memory_total_bytes, s.memory_free_bytes)})` : '—'),
    detail(t('stats.disk'), s ? `${bytes(s.disk_total_bytes - s.disk_free_bytes)} / ${bytes(s.disk_total_bytes)} (${percentUsed(s.disk_total_bytes, s.disk_free_bytes)})` : '—'),
    detail(t('stats.agent'), text(s?.agent_version || c.agent_version)),
    detail(t('stats.mode'), t(`mode.${c.install_mode}`)),
    detail(t('field.jump_method'), jumpMethod(c)),
    detail(t('field.group'), groupNameOf(c.jump_group_type, c.jump_group_id)),
    detail(t('field.tag'), text(c.tag)),
    detail(t('field.comments'), text(c.comments)),
    detail(t('stats.lastConnect'), dateTime(c.last_connect_timestamp)),
    detail(t('stats.lastDisconnect'), dateTime(c.last_disconnect_timestamp)),
    detail(t('field.last_access'), dateTime(c.last_access_timestamp)),
    c.unavailable_reason ? detail(t('stats.unavailable'), reasonText(c.unavailable_reason)) : null,
    detail(t('stats.reported'), s ? dateTime(s.reported_at) : '—'),
  ];
}

/**
 * Draws the pane for the selection into `pane`.
 * @param {HTMLElement} pane
 * @param {{ ids: number[], summary: any|null, jump: (row: any) => void }} selection
 */
export function renderStats(pane, { ids, summary, jump }) {
  const mine = ++token;
  if (ids.length !== 1 || !summary) {
    mount(
      pane,
      h('h2', { id: 'stats-title' }, t('stats.title')),
      h('p', { class: 'muted', id: 'stats-empty' }, ids.length > 1 ? t('stats.many', { n: ids.length }) : t('stats.none')),
    );
    return;
  }
  const draw = (client, error) => {
    if (mine !== token) return;
    const button = h('button', { type: 'button', class: 'primary-inline', id: 'stats-jump', onClick: () => jump(client) }, t('action.jump'));
    mount(
      pane,
      h(
        'div',
        { class: 'stats-head' },
        h('div', {}, h('h2', { id: 'stats-title', class: 'stats-name' }, client.name), statusBadge(client.status)),
        button,
      ),
      error ? h('p', { class: 'alert', role: 'alert' }, errorMessage(error)) : null,
      h('dl', { class: 'details compact', id: 'stats-details', 'aria-labelledby': 'stats-title' }, rows(client).flat()),
    );
  };
  draw({ ...summary, statistics: null });
  get(`/api/config/v1/jump-client/${summary.id}`).then(
    (full) => draw(full),
    (error) => draw({ ...summary, statistics: null }, error),
  );
}
