/**
 * The system-information panel of a session (SPEC C4): what the remote machine reports on demand
 * (`GET /api/session/v1/{id}/system-info`): OS, uptime, CPU, memory, disks, network, users and
 * the busiest processes.
 */
import { get } from '../api.js';
import { detail, h } from '../dom.js';
import { errorMessage, t } from '../i18n.js';
import { bytes, percentUsed, uptime } from './format.js';

function smallTable(caption, heads, rows) {
  if (rows.length === 0) return null;
  return h(
    'table',
    { class: 'data compact' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, heads.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, String(c)))))),
  );
}

function view(info) {
  return [
    h(
      'dl',
      { class: 'details compact' },
      detail(t('stats.hostname'), info.os.hostname),
      detail(t('stats.os'), `${info.os.name} ${info.os.version}`),
      detail(t('stats.kernel'), info.os.kernel),
      detail(t('stats.arch'), info.os.arch),
      detail(t('stats.uptime'), uptime(info.uptime_seconds)),
      detail(t('sys.cpu'), `${info.cpu.model} · ${info.cpu.cores} · ${info.cpu.load.map((n) => n.toFixed(2)).join(' ')}`),
      detail(t('stats.memory'), `${bytes(info.memory.total_bytes - info.memory.available_bytes)} / ${bytes(info.memory.total_bytes)}`),
    ),
    smallTable(t('sys.disks'), [t('sys.mount'), t('sys.size'), t('sys.used')], info.disks.map((d) => [d.mount, bytes(d.total_bytes), percentUsed(d.total_bytes, d.free_bytes)])),
    smallTable(t('sys.network'), [t('sys.interface'), t('sys.addresses')], info.network.map((n) => [n.name, n.addresses.join(', ')])),
    smallTable(t('sys.users'), [t('sys.user'), t('sys.terminal'), t('sys.since')], info.users.map((u) => [u.name, u.terminal, u.since])),
    smallTable(t('sys.processes'), ['PID', t('sys.user'), 'CPU', t('sys.command')], info.processes.map((p) => [p.pid, p.user, `${p.cpu_percent.toFixed(1)} %`, p.command])),
  ];
}

/** Draws the panel for a session entry into `root`; the data is fetched once, and on Refresh. */
export function renderSysinfoPanel(root, entry) {
  const redraw = () => root.isConnected && renderSysinfoPanel(root, entry);
  const load = async () => {
    entry.sysinfo = { loading: true };
    redraw();
    try {
      entry.sysinfo = { info: await get(`/api/session/v1/${entry.sessionId}/system-info`) };
    } catch (error) {
      entry.sysinfo = { error };
    }
    redraw();
  };
  if (!entry.sysinfo && entry.sessionId && entry.state === 'active') void load();
  const s = entry.sysinfo ?? {};
  const refresh = h('button', { type: 'button', class: 'secondary small', onClick: load, disabled: entry.state !== 'active' }, t('action.refresh'));
  refresh.setAttribute('aria-label', t('sys.refresh'));
  root.replaceChildren(
    h('div', { class: 'panel-head' }, h('h3', {}, t('sys.title')), refresh),
    s.error
      ? h('p', { class: 'alert', role: 'alert' }, errorMessage(s.error))
      : s.info
        ? h('div', { class: 'sysinfo', id: `sysinfo-${entry.key}` }, view(s.info))
        : h('p', { class: 'muted' }, entry.state === 'active' ? t('common.loading') : t('files.notActive')),
  );
}
