/**
 * API accounts (SPEC P1): the accounts scripts and integrations sign in with (OAuth2 client
 * credentials). The list, a new account, changes (name, administrator, enabled), a new secret and
 * deletion. A secret is shown once, when it is made; the appliance keeps only its hash.
 * Administrators only.
 */
import { del, getAll, patch, post } from '../api.js';
import { h } from '../dom.js';
import { errorMessage, t } from '../i18n.js';
import { checkField, dataTable, inputField } from '../components/admin-ui.js';
import { confirmThen, copyText, formDialog, openDialog, toast } from '../components/dialog.js';
import { dateTime } from '../components/format.js';

/** The credentials of an account just made or given a new secret: shown this once. */
function showSecret(account) {
  const pair = (id, label, value) => [
    h('dt', {}, label),
    h('dd', { class: 'copy-row' }, h('code', { id, class: 'command' }, value), h('button', { type: 'button', class: 'secondary small', id: `${id}-copy`, 'aria-label': t('api.copyOf', { what: label }), onClick: () => copyText(value) }, t('action.copy'))),
  ];
  const done = h('button', { type: 'button', class: 'primary-inline', id: 'api-secret-done' }, t('api.stored'));
  const { close } = openDialog({
    title: t('api.secretTitle', { name: account.name }),
    id: 'api-secret',
    body: [
      h('p', { class: 'notice' }, t('api.secretOnce')),
      h('dl', { class: 'details stacked' }, pair('api-client-id', t('api.clientId'), account.client_id), pair('api-client-secret', t('api.clientSecret'), account.client_secret)),
      h('p', { class: 'muted small' }, t('api.howTo')),
    ],
    actions: [done],
  });
  done.addEventListener('click', close);
}

function editAccount(account, reload) {
  const name = inputField({ id: 'api-name', label: t('api.name'), value: account?.name ?? '', required: true });
  const admin = checkField({ id: 'api-admin', label: t('api.admin'), checked: account?.is_admin ?? false });
  const enabled = checkField({ id: 'api-enabled', label: t('user.enabled'), checked: account?.enabled ?? true });
  const save = async () => {
    const body = { name: name.input.value.trim(), is_admin: admin.input.checked, enabled: enabled.input.checked };
    if (account) {
      await patch(`/api/config/v1/api-account/${account.id}`, body);
      toast(t('common.saved'));
    } else showSecret(await post('/api/config/v1/api-account', body));
    reload();
  };
  const rows = [name.row, admin.row, h('p', { class: 'muted small' }, t('api.adminHint')), enabled.row];
  formDialog({ id: 'api', title: account ? t('api.edit', { name: account.name }) : t('api.new'), rows, save });
}

const newSecret = (account, reload) =>
  confirmThen({ title: t('api.regenerateTitle'), message: t('api.regenerateAsk', { name: account.name }), confirm: t('api.regenerate') }, async () => {
    showSecret(await patch(`/api/config/v1/api-account/${account.id}`, { regenerate_secret: true }));
    reload();
  });

const removeAccount = (account, reload) =>
  confirmThen({ title: t('api.deleteTitle'), message: t('api.deleteAsk', { name: account.name }), confirm: t('action.delete') }, async () => {
    await del(`/api/config/v1/api-account/${account.id}`);
    toast(t('common.deleted'));
    reload();
  });

/** @param {HTMLElement} root */
export function renderApiAccounts(root) {
  const slot = h('div', {}, h('p', { class: 'muted' }, t('common.loading')));
  const reload = async () => {
    try {
      const rows = await getAll('/api/config/v1/api-account');
      slot.replaceChildren(
        dataTable({
          caption: t('nav.apiAccounts'),
          id: 'api-list',
          empty: t('api.none'),
          rows,
          rowId: (a) => String(a.id),
          columns: [
            { label: t('api.name'), cell: (a) => a.name },
            { label: t('api.clientId'), cell: (a) => h('code', {}, a.client_id) },
            { label: t('api.access'), cell: (a) => (a.is_admin ? t('home.admin') : t('api.reporting')) },
            { label: t('user.enabled'), cell: (a) => (a.enabled ? t('home.yes') : t('home.no')) },
            { label: t('api.created'), cell: (a) => dateTime(a.created_at) },
            {
              label: t('common.actions'),
              class: 'actions-cell',
              cell: (a) => [
                h('button', { type: 'button', class: 'secondary small', onClick: () => editAccount(a, reload) }, t('action.edit')),
                h('button', { type: 'button', class: 'secondary small', onClick: () => newSecret(a, reload) }, t('api.regenerate')),
                h('button', { type: 'button', class: 'danger small', onClick: () => removeAccount(a, reload) }, t('action.delete')),
              ],
            },
          ],
        }),
      );
    } catch (error) {
      slot.replaceChildren(h('p', { class: 'alert', role: 'alert' }, errorMessage(error)));
    }
  };
  const add = h('button', { type: 'button', class: 'primary-inline', id: 'api-add', onClick: () => editAccount(null, reload) }, t('api.new'));
  root.replaceChildren(
    h('div', { class: 'admin-page' }, h('div', { class: 'page-head' }, h('h1', {}, t('nav.apiAccounts')), add), h('p', { class: 'muted' }, t('api.intro')), h('section', { class: 'card' }, slot)),
  );
  void reload();
}
