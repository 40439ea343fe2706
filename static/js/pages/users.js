/**
 * Users (SPEC C5, P1): the list, a new user, changes (display name, e-mail, password, administrator,
 * enabled, the role over their personal Jump Group) and deletion. Administrators only.
 */
import { del, getAll, patch, post } from '../api.js';
import { h } from '../dom.js';
import { errorMessage, t } from '../i18n.js';
import { checkField, dataTable, inputField, selectField } from '../components/admin-ui.js';
import { confirmThen, formDialog, toast } from '../components/dialog.js';
import { directory, loadDirectory } from '../components/directory.js';
import { dateTime } from '../components/format.js';

function editUser(user, reload) {
  const f = {
    username: inputField({ id: 'user-username', label: t('login.username'), value: user?.username ?? '', required: true }),
    display_name: inputField({ id: 'user-display', label: t('user.display'), value: user?.display_name ?? '' }),
    email: inputField({ id: 'user-email', label: t('user.email'), type: 'email', value: user?.email ?? '' }),
    password: inputField({ id: 'user-password', label: t('login.password'), type: 'password', hint: user ? t('user.passwordKeep') : t('user.passwordRule') }),
  };
  const role = selectField({ id: 'user-role', label: t('user.personalRole'), options: directory().roles.map((r) => [r.id, r.name]), value: user?.personal_jump_item_role_id ?? 1 });
  const admin = checkField({ id: 'user-admin', label: t('home.admin'), checked: user?.is_admin ?? false });
  const enabled = checkField({ id: 'user-enabled', label: t('user.enabled'), checked: user?.enabled ?? true });
  const save = async () => {
    const body = {
      username: f.username.input.value.trim(),
      email: f.email.input.value.trim(),
      is_admin: admin.input.checked,
      enabled: enabled.input.checked,
      personal_jump_item_role_id: Number(role.input.value),
    };
    if (f.display_name.input.value.trim()) body.display_name = f.display_name.input.value.trim();
    if (f.password.input.value) body.password = f.password.input.value;
    if (user) await patch(`/api/config/v1/user/${user.id}`, body);
    else await post('/api/config/v1/user', body);
    toast(t('common.saved'));
    reload();
  };
  formDialog({ id: 'user', title: user ? t('user.edit', { name: user.username }) : t('user.new'), rows: [Object.values(f).map((x) => x.row), role.row, admin.row, enabled.row], save });
}

const removeUser = (user, reload) =>
  confirmThen({ title: t('user.deleteTitle'), message: t('user.deleteAsk', { name: user.username }), confirm: t('action.delete') }, async () => {
    await del(`/api/config/v1/user/${user.id}`);
    toast(t('common.deleted'));
    reload();
  });

/** @param {HTMLElement} root */
export function renderUsers(root) {
  const slot = h('div', {}, h('p', { class: 'muted' }, t('common.loading')));
  const reload = async () => {
    try {
      await loadDirectory();
      const rows = await getAll('/api/config/v1/user');
      slot.replaceChildren(
        dataTable({
          caption: t('nav.users'),
          id: 'user-list',
          empty: t('user.none'),
          rows,
          columns: [
            { label: t('login.username'), cell: (u) => u.username },
            { label: t('user.display'), cell: (u) => u.display_name },
            { label: t('user.email'), cell: (u) => u.email },
            { label: t('home.role'), cell: (u) => (u.is_admin ? t('home.admin') : t('home.technician')) },
            { label: t('user.enabled'), cell: (u) => (u.enabled ? t('home.yes') : t('home.no')) },
            { label: t('user.lastLogin'), cell: (u) => dateTime(u.last_login_at) },
            {
              label: t('common.actions'),
              class: 'actions-cell',
              cell: (u) => [
                h('button', { type: 'button', class: 'secondary small', onClick: () => editUser(u, reload) }, t('action.edit')),
                h('button', { type: 'button', class: 'danger small', onClick: () => removeUser(u, reload) }, t('action.delete')),
              ],
            },
          ],
        }),
      );
    } catch (error) {
      slot.replaceChildren(h('p', { class: 'alert', role: 'alert' }, errorMessage(error)));
    }
  };
  const add = h('button', { type: 'button', class: 'primary-inline', id: 'user-add', onClick: () => editUser(null, reload) }, t('user.new'));
  root.replaceChildren(h('div', { class: 'admin-page' }, h('div', { class: 'page-head' }, h('h1', {}, t('nav.users')), add), h('section', { class: 'card' }, slot)));
  void reload();
}
