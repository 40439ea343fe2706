/**
 * The file panel of a session (SPEC C4): the remote directory listing (`GET .../files?path=`),
 * navigation (open a folder, Up, type a path), download (a file link: the appliance answers with
 * the bytes as an attachment), and upload by drag-and-drop or the Upload button, each file with a
 * progress bar (XMLHttpRequest upload progress).
 */
import { get, upload } from '../api.js';
import { h } from '../dom.js';
import { errorMessage, t } from '../i18n.js';
import { bytes, mtime } from './format.js';

const join = (dir, name) => `${dir.replace(/\/+$/, '')}/${name}`;
const parent = (path) => path.replace(/\/+$/, '').replace(/\/[^/]*$/, '') || '/';
const filesUrl = (entry, path) => `/api/session/v1/${entry.sessionId}/files?path=${encodeURIComponent(path)}`;

/** Lists `path` into the entry's state, then redraws. */
async function list(entry, path, redraw) {
  entry.files.loading = true;
  redraw();
  try {
    const answer = await get(filesUrl(entry, path));
    if (answer && answer.kind === 'directory') {
      entry.files.path = answer.path || path;
      entry.files.listing = answer;
      entry.files.error = null;
    }
  } catch (error) {
    entry.files.error = error;
  }
  entry.files.loading = false;
  redraw();
}

function startUploads(entry, files, redraw) {
  for (const file of files) {
    const item = { name: file.name, sent: 0, total: file.size, error: null, done: false };
    entry.files.uploads.push(item);
    const job = upload(filesUrl(entry, join(entry.files.path, file.name)), file, (sent, total) => {
      item.sent = sent;
      item.total = total;
      redraw();
    });
    job.done.then(
      () => {
        item.done = true;
        item.sent = item.total;
        list(entry, entry.files.path, redraw);
        setTimeout(() => {
          entry.files.uploads.splice(entry.files.uploads.indexOf(item), 1);
          redraw();
        }, 3000);
      },
      (error) => {
        item.error = error;
        redraw();
      },
    );
  }
  redraw();
}

function entryRow(entry, e, redraw) {
  const path = join(entry.files.path, e.name);
  const name =
    e.kind === 'directory'
      ? h('button', { type: 'button', class: 'link', onClick: () => list(entry, path, redraw) }, `${e.name}/`)
      : h('a', { href: filesUrl(entry, path), download: e.name, title: t('files.download', { name: e.name }) }, e.name);
  return h('tr', {}, h('td', { class: 'file-name' }, name), h('td', { class: 'num' }, e.kind === 'directory' ? '' : bytes(e.size)), h('td', {}, mtime(e.mtime)));
}

/** Draws the panel for a session entry into `root` (and lists the first directory once). */
export function renderFilePanel(root, entry) {
  const redraw = () => root.isConnected && renderFilePanel(root, entry);
  const state = entry.files;
  if (!state.listing && !state.loading && !state.error && entry.sessionId && entry.state === 'active') {
    void list(entry, state.path, redraw);
  }
  const pathInput = /** @type {HTMLInputElement} */ (h('input', { id: `files-path-${entry.key}`, class: 'path', value: state.path, spellcheck: 'false' }));
  const picker = /** @type {HTMLInputElement} */ (h('input', { type: 'file', multiple: true, id: `files-pick-${entry.key}`, class: 'visually-hidden' }));
  picker.addEventListener('change', () => startUploads(entry, [...(picker.files ?? [])], redraw));
  const form = h(
    'form',
    { class: 'files-bar' },
    h('label', { htmlFor: pathInput.id, class: 'visually-hidden' }, t('files.path')),
    h('button', { type: 'button', class: 'secondary small', onClick: () => list(entry, parent(state.path), redraw), title: t('files.up'), 'aria-label': t('files.up') }, '↑'),
    pathInput,
    h('button', { type: 'submit', class: 'secondary small' }, t('files.go')),
    picker,
    h('label', { htmlFor: picker.id, class: 'button secondary small' }, t('files.upload')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void list(entry, pathInput.value.trim() || '/', redraw);
  });
  const rows = state.listing?.entries ?? [];
  const listing = state.error
    ? h('p', { class: 'alert', role: 'alert' }, errorMessage(state.error))
    : state.listing === null
      ? h('p', { class: 'muted' }, entry.state === 'active' ? t('common.loading') : t('files.notActive'))
      : rows.length === 0
        ? h('p', { class: 'empty' }, t('files.empty'))
        : h(
            'table',
            { class: 'data files', id: `files-${entry.key}` },
            h('caption', { class: 'visually-hidden' }, t('files.title')),
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('files.name')), h('th', { scope: 'col', class: 'num' }, t('files.size')), h('th', { scope: 'col' }, t('files.modified')))),
            h('tbody', {}, rows.map((e) => entryRow(entry, e, redraw))),
          );
  const uploads = state.uploads.map((u) =>
    h(
      'div',
      { class: 'upload' },
      h('span', {}, u.name),
      u.error
        ? h('span', { class: 'danger-text', role: 'alert' }, errorMessage(u.error))
        : h('progress', { max: String(u.total || 1), value: String(u.sent), 'aria-label': t('files.progress', { name: u.name }) }),
    ),
  );
  const drop = h('div', { class: 'dropzone', 'data-session': String(entry.key) }, h('p', { class: 'muted small' }, t('files.dropHint')), uploads, listing);
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    startUploads(entry, [...(e.dataTransfer?.files ?? [])], redraw);
  });
  root.replaceChildren(h('h3', {}, t('files.title')), form, drop);
}
