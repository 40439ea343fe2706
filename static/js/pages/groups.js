/**
 * Jump Groups (SPEC C5, P2): shared groups (new, change, delete), each with its members and the
 * Jump Item role each member holds there (add, change role, remove), and the roles with what they
 * allow (custom roles new, changed, deleted; the built-in ones fixed). Administrators only.
 */
import { del, getAll, patch, post } from '../api.js';
import { h } from '../dom.js';
import { errorMessage, t } from '../i18n.js';
import { checkField, dataTable, inputField, selectField } from '../components/admin-ui.js';
import { confirmThen, formDialog, toast } from '../components/dialog.js';
import { directory, loadDirectory } from '../components/directory.js';

const PERMS = ['perm_start', 'perm_add', 'perm_remove', 'perm_move', 'perm_edit_tag', 'perm_edit_comments', 'perm_edit_identity', 'perm_view_reports'];
let chosen = 0;

function editGroup(group, reload) {
  const name = inputField({ id: 'group-name', label: t('field.name'), value: group?.name ?? '', required: true });
  const code = inputField({ id: 'group-code', label: t('group.code'), value: group?.code_name ?? '', hint: t('group.codeHint') });
  const comments = inputField({ id: 'group-comments', label: t('field.comments'), value: group?.comments ?? '', multiline: true });
  const save = async () => {
    const body = { name: name.input.value.trim(), comments: comments.input.value };
    if (code.input.value.trim()) body.code_name = code.input.value.trim();
    const saved = group ? await patch(`/api/config/v1/jump-group/${group.id}`, body) : await post('/api/config/v1/jump-group', body);
    chosen = saved.id;
    reload();
  };
  formDialog({ id: 'group', title: group ? t('group.edit') : t('group.new'), rows: [name.row, code.row, comments.row], save });
}

async function act(call, reload) {
  try {
    await call();
    toast(t('common.saved'));
  } catch (error) {
    toast(errorMessage(error), 'error');
  }
  reload();
}

function members(group, rows, reload) {
  const { users, roles } = directory();
  const roleOptions = roles.map((r) => [r.id, r.name]);
  const base = `/api/config/v1/jump-group/${group.id}/user`;
  const table = dataTable({
    caption: t('group.members'),
    id: 'member-list',
    empty: t('group.noMembers'),
    rows,
    columns: [
      { label: t('login.username'), cell: (m) => users.get(m.user_id)?.username ?? `#${m.user_id}` },
      {
        label: t('group.role'),
        cell: (m) => {
          const s = selectField({ id: `member-role-${m.user_id}`, label: t('group.roleOf', { name: users.get(m.user_id)?.username ?? m.user_id }), options: roleOptions, value: m.jump_item_role_id });
          s.row.querySelector('label')?.classList.add('visually-hidden');
          s.input.addEventListener('change', () => act(() => patch(`${base}/${m.user_id}`, { jump_item_role_id: Number(s.input.value) }), reload));
          return s.row;
        },
      },
      { label: t('common.actions'), cell: (m) => h('button', { type: 'button', class: 'danger small', onClick: () => act(() => del(`${base}/${m.user_id}`), reload) }, t('group.removeMember')) },
    ],
  });
  const outside = [...users.values()].filter((u) => !rows.some((m) => m.user_id === u.id));
  const who = selectField({ id: 'member-user', label: t('group.addUser'), options: outside.map((u) => [u.id, u.username]) });
  const role = selectField({ id: 'member-new-role', label: t('group.role'), options: roleOptions, value: 2 });
  const add = h('button', { type: 'submit', class: 'secondary', disabled: outside.length === 0 }, t('group.addMember'));
  const form = h('form', { class: 'inline-form' }, who.row, role.row, add);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    act(() => post(base, { user_id: Number(who.input.value), jump_item_role_id: Number(role.input.value) }), reload);
  });
  return [table, form];
}

function editRole(role, reload) {
  const name = inputField({ id: 'role-name', label: t('field.name'), value: role?.name ?? '', required: true });
  const description = inputField({ id: 'role-description', label: t('role.description'), value: role?.description ?? '', multiline: true });
  const perms = PERMS.map((p) => [p, checkField({ id: `role-${p}`, label: t(`perm.${p}`), checked: role?.[p] ?? false })]);
  const allows = h('fieldset', { class: 'checks' }, h('legend', {}, t('role.allows')), perms.map(([, f]) => f.row));
  const save = async () => {
    const body = { name: name.input.value.trim(), description: description.input.value, ...Object.fromEntries(perms.map(([p, f]) => [p, f.input.checked])) };
    if (role) await patch(`/api/config/v1/jump-item-role/${role.id}`, body);
    else await post('/api/config/v1/jump-item-role', body);
    toast(t('common.saved'));
    reload();
  };
  formDialog({ id: 'role', title: role ? t('role.edit', { name: role.name }) : t('role.new'), rows: [name.row, description.row, allows], save });
}

/** The roles and what each allows; custom roles can be changed and deleted, built-in ones not. */
function rolesTable(reload) {
  const actions = (r) =>
    r.builtin
      ? h('span', { class: 'muted' }, t('role.builtin'))
      : [
          h('button', { type: 'button', class: 'secondary small', onClick: () => editRole(r, reload) }, t('action.edit')),
          h('button', { type: 'button', class: 'danger small', onClick: () => confirmThen({ title: t('role.deleteTitle'), message: t('role.deleteAsk', { name: r.name }), confirm: t('action.delete') }, async () => {
                await del(`/api/config/v1/jump-item-role/${r.id}`);
                toast(t('common.deleted'));
                reload();
              }) }, t('action.delete')),
        ];
  return dataTable({
    caption: t('group.roles'),
    id: 'role-list',
    empty: '—',
    rows: directory().roles,
    rowId: (r) => String(r.id),
    columns: [
      { label: t('field.name'), cell: (r) => h('span', { title: r.description }, r.name) },
      ...PERMS.map((p) => ({ label: t(`perm.${p}`), class: 'center', cell: (r) => (r[p] ? '✓' : '—') })),
      { label: t('common.actions'), class: 'actions-cell', cell: actions },
    ],
  });
}

/** @param {HTMLElement} root */
export function renderGroups(root) {
  const reload = async () => {
    try {
      await loadDirectory();
      const groups = [...directory().shared.values()];
      if (!groups.some((g) => g.id === chosen)) chosen = groups[0]?.id ?? 0;
      const group = directory().shared.get(chosen);
      const rows = group ? await getAll(`/api/config/v1/jump-group/${group.id}/user`) : [];
      const picker = h('ul', { class: 'pick-list', 'aria-label': t('nav.groups') }, groups.map((g) => h('li', {}, h('button', { type: 'button', class: 'pick', 'aria-current': g.id === chosen ? 'true' : undefined, onClick: () => { chosen = g.id; reload(); } }, g.name))));
      const detail = group
        ? h('section', { class: 'card', 'aria-labelledby': 'group-title' },
            h('div', { class: 'page-head' }, h('h2', { id: 'group-title' }, group.name), h('div', { class: 'button-row' },
              h('button', { type: 'button', class: 'secondary small', onClick: () => editGroup(group, reload) }, t('action.edit')),
              h('button', { type: 'button', class: 'danger small', onClick: () => confirmThen({ title: t('group.deleteTitle'), message: t('group.deleteAsk', { name: group.name }), confirm: t('action.delete') }, () => act(() => del(`/api/config/v1/jump-group/${group.id}`), reload)) }, t('action.delete')))),
            h('p', { class: 'muted' }, `${t('group.code')}: ${group.code_name}`, group.comments ? ` · ${group.comments}` : ''),
            h('h3', {}, t('group.members')), members(group, rows, reload))
        : h('p', { class: 'empty' }, t('group.none'));
      const add = h('button', { type: 'button', class: 'primary-inline', id: 'group-add', onClick: () => editGroup(null, reload) }, t('group.new'));
      root.replaceChildren(h('div', { class: 'admin-page' }, h('div', { class: 'page-head' }, h('h1', {}, t('nav.groups')), add), groups.length ? h('div', { class: 'groups-layout' }, h('div', { class: 'card' }, picker), detail) : h('section', { class: 'card' }, detail), h('section', { class: 'card', 'aria-labelledby': 'roles-title' }, h('div', { class: 'page-head' }, h('h2', { id: 'roles-title' }, t('group.roles')), h('button', { type: 'button', class: 'secondary small', id: 'role-add', onClick: () => editRole(null, reload) }, t('role.new'))), rolesTable(reload))));
    } catch (error) {
      root.replaceChildren(h('p', { class: 'alert', role: 'alert' }, errorMessage(error)));
    }
  };
  root.replaceChildren(h('h1', {}, t('nav.groups')), h('p', { class: 'muted' }, t('common.loading')));
  void reload();
}
