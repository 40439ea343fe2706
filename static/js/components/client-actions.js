/**
 * Remove and Properties for one or several Jump Clients (SPEC C3, D4): Remove asks first and
 * deletes each (access is revoked at once); Properties moves group, sets the Jump method (active
 * or passive), the maximum time offline, tag, comments and name
 * (name only for one item), with Reset to clear the choices, and PATCHes each item with only what
 * changed. Copy makes another Jump Item of one client's endpoint in a Jump Group of your choice.
 * Failures are listed per item with the catalog message.
 */
import { del, patch, post } from '../api.js';
import { h } from '../dom.js';
import { errorMessage, t } from '../i18n.js';
import { checkField, inputField, selectField } from './admin-ui.js';
import { confirmDialog, openDialog, toast } from './dialog.js';
import { groupOptions, parseGroupValue } from './directory.js';

/** Runs `call` for each row; returns the failures as text lines. */
async function each(rows, call) {
  const failures = [];
  for (const row of rows) {
    try {
      await call(row);
    } catch (error) {
      failures.push(`${row.name}: ${errorMessage(error)}`);
    }
  }
  return failures;
}

function report(failures, okText) {
  if (failures.length === 0) toast(okText);
  else for (const line of failures) toast(line, 'error');
}

/** Asks, then removes the rows (`confirmed` runs once the user said yes). Resolves when done. */
export async function removeClients(rows, confirmed = () => undefined) {
  if (rows.length === 0) return;
  const ok = await confirmDialog({
    title: t('remove.title'),
    message: rows.length === 1 ? t('remove.one', { name: rows[0].name }) : t('remove.many', { n: rows.length }),
    confirm: t('action.remove'),
    danger: true,
  });
  if (!ok) return;
  confirmed();
  const failures = await each(rows, (row) => del(`/api/config/v1/jump-client/${row.id}`));
  report(failures, t('remove.done', { n: rows.length - failures.length }));
}

/** Opens the Properties dialog for the rows; `done` runs after saving. */
export function editProperties(rows, done) {
  if (rows.length === 0) return;
  const single = rows.length === 1 ? rows[0] : null;
  const first = rows[0];
  const sameGroup = rows.every((r) => r.jump_group_type === first.jump_group_type && r.jump_group_id === first.jump_group_id);
  const group = selectField({ id: 'prop-group', label: t('field.group'), options: groupOptions(), value: `${first.jump_group_type}:${first.jump_group_id}` });
  const name = inputField({ id: 'prop-name', label: t('field.name'), value: single?.name ?? '' });
  const sameMethod = rows.every((r) => r.connection_type === first.connection_type);
  const methods = [['active', t('method.active')], ['passive', t('method.passive')]];
  const method = selectField({ id: 'prop-method', label: t('field.jump_method'), options: methods, value: first.connection_type });
  const offline = inputField({ id: 'prop-offline', label: t('field.max_offline'), type: 'number', min: 1, max: 525600, value: single?.max_offline_minutes ?? '', hint: t('inst.maxOfflineHint') });
  const tag = inputField({ id: 'prop-tag', label: t('field.tag'), value: single ? single.tag : '', hint: t('prop.tagHint') });
  const comments = inputField({ id: 'prop-comments', label: t('field.comments'), value: single ? single.comments : '', multiline: true });
  const fields = { group, jump_method: method, max_offline: offline, tag, comments };
  // With several items, each field applies only when its box is ticked.
  const apply = Object.fromEntries(
    Object.keys(fields).map((k) => [k, single ? null : checkField({ id: `prop-apply-${k}`, label: t('prop.apply', { field: t(`field.${k}`) }) })]),
  );
  if (!single && !sameGroup) group.input.value = '';
  if (!single && !sameMethod) method.input.value = '';
  const reset = h('button', { type: 'button', class: 'secondary', id: 'prop-reset' }, t('action.reset'));
  const save = h('button', { type: 'submit', class: 'primary-inline', id: 'prop-save', form: 'prop-form' }, t('action.save'));
  const form = h(
    'form',
    { id: 'prop-form', class: 'form' },
    single ? null : h('p', { class: 'muted' }, t('prop.many', { n: rows.length })),
    single ? name.row : null,
    Object.entries(fields).map(([k, f]) => h('div', { class: 'prop-field' }, apply[k]?.row, f.row)),
  );
  const { close } = openDialog({ title: t('prop.title'), body: form, actions: [reset, save], id: 'properties-dialog' });
  reset.addEventListener('click', () => {
    name.input.value = single?.name ?? '';
    group.input.value = sameGroup ? `${first.jump_group_type}:${first.jump_group_id}` : '';
    method.input.value = sameMethod ? first.connection_type : '';
    offline.input.value = '';
    tag.input.value = '';
    comments.input.value = '';
    for (const a of Object.values(apply)) if (a) a.input.checked = false;
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const wanted = (k) => (single ? true : apply[k].input.checked);
    save.setAttribute('disabled', '');
    // Lowest id first: an original before its copies (a copy's id is higher). A copy follows its
    // original's Jump method and maximum time offline, so a change asked of both is made on the
    // original and is then no change on the copy, instead of a refusal.
    const failures = await each([...rows].sort((a, b) => a.id - b.id), (row) => {
      const body = {};
      if (single && name.input.value.trim() && name.input.value.trim() !== row.name) body.name = name.input.value.trim();
      if (wanted('group') && group.input.value) {
        const g = parseGroupValue(group.input.value);
        if (g.jump_group_type !== row.jump_group_type || g.jump_group_id !== row.jump_group_id) Object.assign(body, g);
      }
      if (wanted('jump_method') && method.input.value && method.input.value !== row.connection_type) body.connection_type = method.input.value;
      if (wanted('max_offline')) {
        const minutes = offline.input.value.trim() === '' ? null : Number(offline.input.value);
        if (minutes !== row.max_offline_minutes) body.max_offline_minutes = minutes;
      }
      if (wanted('tag') && tag.input.value.trim() !== row.tag) body.tag = tag.input.value.trim();
      if (wanted('comments') && comments.input.value !== row.comments) body.comments = comments.input.value;
      return Object.keys(body).length ? patch(`/api/config/v1/jump-client/${row.id}`, body) : Promise.resolve();
    });
    report(failures, t('prop.saved', { n: rows.length - failures.length }));
    close();
    done();
  });
}

/** Opens the Copy dialog for one row: another Jump Item of the same endpoint, in another group. */
export function copyClient(row, done) {
  if (!row) return;
  const group = selectField({ id: 'copy-group', label: t('field.group'), options: groupOptions(), value: `${row.jump_group_type}:${row.jump_group_id}` });
  const name = inputField({ id: 'copy-name', label: t('field.name'), value: row.name });
  const save = h('button', { type: 'submit', class: 'primary-inline', id: 'copy-save', form: 'copy-form' }, t('action.copy'));
  const form = h('form', { id: 'copy-form', class: 'form' }, h('p', { class: 'muted' }, t('copy.hint')), group.row, name.row);
  const { close } = openDialog({ title: t('copy.title', { name: row.name }), body: form, actions: [save], id: 'copy-dialog' });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    save.setAttribute('disabled', '');
    const failures = await each([row], () => post(`/api/config/v1/jump-client/${row.id}/copy`, { ...parseGroupValue(group.input.value), name: name.input.value.trim() || row.name }));
    report(failures, t('copy.done', { name: name.input.value.trim() || row.name }));
    close();
    done();
  });
}
