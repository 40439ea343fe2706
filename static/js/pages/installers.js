/**
 * Installers (SPEC D1): the wizard that creates one, the download link and command line of the
 * one just made, and the list of installers with download, copy link, extend and delete.
 */
import { del, getAll, patch } from '../api.js';
import { h } from '../dom.js';
import { errorMessage, t } from '../i18n.js';
import { dataTable, selectField } from '../components/admin-ui.js';
import { confirmThen, copyText, openDialog, toast } from '../components/dialog.js';
import { directory, groupNameOf, loadDirectory } from '../components/directory.js';
import { dateTime } from '../components/format.js';
import { VALIDITY, installerResult, installerWizard } from '../components/installer-wizard.js';

let lastCreated = null;

function extend(installer, reload) {
  const valid = selectField({ id: 'extend-valid', label: t('inst.validFor'), options: VALIDITY.map((m) => [m, t(`valid.${m}`)]), value: 1440 });
  const save = h('button', { type: 'button', class: 'primary-inline', id: 'extend-save' }, t('inst.extend'));
  const { close } = openDialog({ title: t('inst.extendTitle', { name: installer.name || installer.installer_id.slice(0, 8) }), body: valid.row, actions: [save] });
  save.addEventListener('click', async () => {
    try {
      await patch(`/api/config/v1/jump-client/installer/${installer.installer_id}`, { valid_duration: Number(valid.input.value) });
      toast(t('inst.extended'));
      close();
      reload();
    } catch (error) {
      toast(errorMessage(error), 'error');
    }
  });
}

const remove = (installer, reload) =>
  confirmThen({ title: t('inst.deleteTitle'), message: t('inst.deleteAsk'), confirm: t('action.delete') }, async () => {
    await del(`/api/config/v1/jump-client/installer/${installer.installer_id}`);
    if (lastCreated?.installer_id === installer.installer_id) lastCreated = null;
    toast(t('inst.deleted'));
    reload();
  });

function list(rows, reload) {
  return dataTable({
    caption: t('inst.list'),
    id: 'installer-list',
    empty: t('inst.none'),
    rows,
    rowId: (r) => r.installer_id,
    columns: [
      { label: t('field.name'), cell: (r) => r.name || t('inst.hostnameName') },
      { label: t('field.group'), cell: (r) => groupNameOf(r.jump_group_type, r.jump_group_id) },
      { label: t('field.tag'), cell: (r) => r.tag },
      { label: t('inst.mode'), cell: (r) => `${t(`mode.${r.install_mode}`)} · ${t(`method.${r.connection_type}`)}` },
      { label: t('inst.expires'), cell: (r) => h('span', { class: r.is_expired ? 'danger-text' : '' }, r.is_expired ? t('inst.expired') : dateTime(r.expiration_timestamp)) },
      { label: t('inst.createdBy'), cell: (r) => r.created_by },
      {
        label: t('common.actions'),
        class: 'actions-cell',
        cell: (r) => [
          r.is_expired ? null : h('a', { href: r.download_url, class: 'button secondary small', download: '' }, t('inst.download')),
          h('button', { type: 'button', class: 'secondary small', onClick: () => copyText(r.download_url) }, t('inst.copyLink')),
          h('button', { type: 'button', class: 'secondary small', onClick: () => extend(r, reload) }, t('inst.extend')),
          h('button', { type: 'button', class: 'danger small', onClick: () => remove(r, reload) }, t('action.delete')),
        ],
      },
    ],
  });
}

/** @param {HTMLElement} root */
export function renderInstallers(root) {
  const listSlot = h('section', { class: 'card', 'aria-labelledby': 'installers-title' }, h('h2', { id: 'installers-title' }, t('inst.list')), h('p', { class: 'muted' }, t('common.loading')));
  const resultSlot = h('div');
  const reload = async () => {
    try {
      const rows = await getAll('/api/config/v1/jump-client/installer');
      listSlot.replaceChildren(h('h2', { id: 'installers-title' }, t('inst.list')), list(rows, reload));
    } catch (error) {
      listSlot.append(h('p', { class: 'alert', role: 'alert' }, errorMessage(error)));
    }
  };
  const showResult = () => resultSlot.replaceChildren(lastCreated ? installerResult(lastCreated) : '');
  const draw = () => {
    const wizard = installerWizard((installer) => {
      lastCreated = installer;
      toast(t('inst.created'));
      showResult();
      void reload();
      document.getElementById('installer-result')?.scrollIntoView({ block: 'nearest' });
    });
    root.replaceChildren(h('div', { class: 'admin-page wide' }, h('div', { class: 'page-head' }, h('h1', {}, t('nav.installers'))), h('p', { class: 'muted' }, t('inst.intro')), h('div', { class: 'two-col' }, wizard, h('div', {}, resultSlot, listSlot))));
    showResult();
  };
  root.replaceChildren(h('p', { class: 'muted', role: 'status' }, t('common.loading')));
  (async () => {
    try {
      if (!directory().loaded) await loadDirectory();
    } catch (error) {
      toast(errorMessage(error), 'error');
    }
    draw();
    await reload();
  })();
}
