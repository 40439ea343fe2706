/**
 * The installer wizard (SPEC D1, D2): Jump Group, name, tag, comments, mode, connection type,
 * "valid for", maximum offline time, which fields the command line may override, and the platform
 * (preselected from this browser). The result: the download link with a copy button, and the
 * command line to paste on the remote machine.
 */
import { post } from '../api.js';
import { alertBox, h, showError } from '../dom.js';
import { errorMessage, t } from '../i18n.js';
import { checkField, inputField, selectField } from './admin-ui.js';
import { copyText } from './dialog.js';
import { groupOptions, parseGroupValue } from './directory.js';

/** "Valid for" choices in minutes: 10 minutes .. 1 year, 24 hours by default. */
export const VALIDITY = [10, 60, 480, 1440, 10080, 43200, 525600];
export const PLATFORMS = [
  ['linux-64', true],
  ['windows-64', false],
  ['mac', false],
];

/** The platform of this browser, as an installer platform name. */
export function browserPlatform() {
  const ua = `${navigator.userAgent} ${navigator.platform}`.toLowerCase();
  if (ua.includes('win')) return 'windows-64';
  if (ua.includes('mac')) return 'mac';
  return 'linux-64';
}

export const commandLine = (installer) => `sh ./jumpgate-client-${installer.installer_id}.bin`;

/** The download link, its copy button, and the command line. */
export function installerResult(installer) {
  const cmd = commandLine(installer);
  return h(
    'section',
    { class: 'card result', id: 'installer-result', 'aria-labelledby': 'result-title' },
    h('h2', { id: 'result-title' }, t('inst.ready')),
    h('p', { class: 'muted' }, t('inst.readyHint')),
    h('div', { class: 'copy-row' }, h('a', { href: installer.download_url, id: 'installer-download', download: '' }, installer.download_url), h('button', { type: 'button', class: 'secondary small', id: 'copy-link', onClick: () => copyText(installer.download_url) }, t('inst.copyLink'))),
    h('p', {}, t('inst.run')),
    h('div', { class: 'copy-row' }, h('code', { id: 'installer-command', class: 'command' }, cmd), h('button', { type: 'button', class: 'secondary small', id: 'copy-command', onClick: () => copyText(cmd) }, t('inst.copyCommand'))),
    h('p', { class: 'muted small' }, t('inst.start')),
  );
}

/** The wizard form; `created` receives the new installer. */
export function installerWizard(created) {
  const me = groupOptions()[0]?.[0];
  const f = {
    group: selectField({ id: 'inst-group', label: t('field.group'), options: groupOptions(), value: me }),
    name: inputField({ id: 'inst-name', label: t('field.name'), hint: t('inst.nameHint') }),
    tag: inputField({ id: 'inst-tag', label: t('field.tag') }),
    comments: inputField({ id: 'inst-comments', label: t('field.comments'), multiline: true }),
    mode: selectField({ id: 'inst-mode', label: t('inst.mode'), options: [['service', t('mode.service')], ['user', t('mode.user')]], value: 'service' }),
    type: selectField({ id: 'inst-type', label: t('field.jump_method'), options: [['active', t('method.active')], ['passive', t('method.passive')]], value: 'active' }),
    valid: selectField({ id: 'inst-valid', label: t('inst.validFor'), options: VALIDITY.map((m) => [m, t(`valid.${m}`)]), value: 1440 }),
    offline: inputField({ id: 'inst-offline', label: t('inst.maxOffline'), type: 'number', min: 1, max: 525600, hint: t('inst.maxOfflineHint') }),
  };
  const overrides = ['jump_group', 'name', 'tag', 'comments', 'max_offline_minutes'].map((k) => [k, checkField({ id: `inst-allow-${k}`, label: t(`inst.allow.${k}`) })]);
  const preferred = browserPlatform();
  const available = PLATFORMS.find(([p]) => p === preferred)?.[1];
  const platform = selectField({ id: 'inst-platform', label: t('inst.platform'), options: PLATFORMS.map(([p, ok]) => [p, ok ? t(`platform.${p}`) : `${t(`platform.${p}`)} (${t('inst.later')})`]), value: available ? preferred : 'linux-64' });
  for (const option of platform.input.options) option.disabled = !PLATFORMS.find(([p]) => p === option.value)?.[1];
  const errorBox = alertBox('installer-error');
  const submit = h('button', { type: 'submit', class: 'primary-inline', id: 'inst-create' }, t('inst.create'));
  const form = h(
    'form',
    { class: 'card form wizard', id: 'installer-wizard', 'aria-labelledby': 'wizard-title' },
    h('h2', { id: 'wizard-title' }, t('inst.new')),
    errorBox,
    h('fieldset', {}, h('legend', {}, t('inst.properties')), f.group.row, f.name.row, f.tag.row, f.comments.row),
    h('fieldset', {}, h('legend', {}, t('inst.behaviour')), f.mode.row, f.type.row, f.valid.row, f.offline.row),
    h('fieldset', {}, h('legend', {}, t('inst.overrides')), overrides.map(([, c]) => c.row)),
    h('fieldset', {}, h('legend', {}, t('inst.platform')), platform.row, available ? null : h('p', { class: 'notice small' }, t('inst.platformLater', { platform: t(`platform.${preferred}`) }))),
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(errorBox, null);
    const offline = f.offline.input.value.trim();
    const body = {
      ...parseGroupValue(f.group.input.value),
      name: f.name.input.value.trim(),
      tag: f.tag.input.value.trim(),
      comments: f.comments.input.value,
      install_mode: f.mode.input.value,
      connection_type: f.type.input.value,
      valid_duration: Number(f.valid.input.value),
      max_offline_minutes: offline ? Number(offline) : null,
      ...Object.fromEntries(overrides.map(([k, c]) => [`allow_override_${k}`, c.input.checked])),
    };
    submit.setAttribute('disabled', '');
    try {
      created(await post('/api/config/v1/jump-client/installer', body));
    } catch (error) {
      showError(errorBox, { message: errorMessage(error), code: error.code });
    } finally {
      submit.removeAttribute('disabled');
    }
  });
  return form;
}
