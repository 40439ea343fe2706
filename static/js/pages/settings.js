/**
 * Site settings (SPEC C5, S3–S6): the Jump Client caps, the spawn cap and timeout, the lost and
 * deletion thresholds, the statistics interval, audit retention, login session length and agent
 * admission rate. Only changed values are sent. Administrators only.
 */
import { get, patch } from '../api.js';
import { alertBox, h, showError } from '../dom.js';
import { errorMessage, t } from '../i18n.js';
import { inputField } from '../components/admin-ui.js';
import { toast } from '../components/dialog.js';

/** [setting, min, max] as the appliance validates them. */
const FIELDS = [
  ['max_installed_jump_clients', 0, 1_000_000],
  ['max_active_jump_clients', 0, 1_000_000],
  ['max_concurrent_spawns', 1, 1000],
  ['spawn_timeout_seconds', 1, 600],
  ['lost_after_days', 1, 3650],
  ['delete_after_days', 1, 3650],
  ['statistics_interval_seconds', 10, 86_400],
  ['audit_retention_days', 1, 3650],
  ['login_session_minutes', 5, 43_200],
  ['agent_admission_per_second', 1, 100_000],
];

/** @param {HTMLElement} root */
export function renderSettings(root) {
  root.replaceChildren(h('h1', {}, t('nav.settings')), h('p', { class: 'muted' }, t('common.loading')));
  get('/api/config/v1/settings').then(
    (settings) => draw(root, settings),
    (error) => root.replaceChildren(h('h1', {}, t('nav.settings')), h('p', { class: 'alert', role: 'alert' }, errorMessage(error))),
  );
}

function draw(root, settings) {
  const known = FIELDS.filter(([key]) => key in settings);
  const inputs = known.map(([key, min, max]) => [key, inputField({ id: `set-${key}`, label: t(`set.${key}`), type: 'number', min, max, value: settings[key], hint: t('set.range', { min, max }) })]);
  const errorBox = alertBox('settings-error');
  const save = h('button', { type: 'submit', class: 'primary-inline', id: 'settings-save' }, t('action.save'));
  const group = (title, keys) => h('fieldset', {}, h('legend', {}, title), inputs.filter(([k]) => keys.includes(k)).map(([, f]) => f.row));
  const form = h(
    'form',
    { class: 'card form settings', id: 'settings-form' },
    errorBox,
    group(t('set.limits'), ['max_installed_jump_clients', 'max_active_jump_clients', 'max_concurrent_spawns', 'spawn_timeout_seconds', 'agent_admission_per_second']),
    group(t('set.thresholds'), ['lost_after_days', 'delete_after_days', 'statistics_interval_seconds']),
    group(t('set.retention'), ['audit_retention_days', 'login_session_minutes']),
    h('div', { class: 'actions' }, save),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(errorBox, null);
    const body = {};
    for (const [key, f] of inputs) {
      const value = Number(f.input.value);
      if (f.input.value.trim() !== '' && value !== settings[key]) body[key] = value;
    }
    if (Object.keys(body).length === 0) return toast(t('set.nothing'));
    try {
      const saved = await patch('/api/config/v1/settings', body);
      toast(t('common.saved'));
      draw(root, saved);
    } catch (error) {
      showError(errorBox, { message: errorMessage(error), code: error.code });
    }
  });
  root.replaceChildren(h('div', { class: 'admin-page narrow' }, h('div', { class: 'page-head' }, h('h1', {}, t('nav.settings'))), h('p', { class: 'muted' }, t('set.intro')), form));
}
