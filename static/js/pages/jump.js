/**
 * The Jump interface (SPEC C1–C3): Jump Groups on the left, the Jump Client list in the middle
 * (search, sortable columns, multi-select, virtual scrolling), the selected item's statistics on
 * the right. Jump by double-click, Enter, the Jump button, the context menu or the statistics
 * pane. Live updates come from the console feed; Refresh reloads everything.
 */
import { h } from '../dom.js';
import { errorMessage, t } from '../i18n.js';
import { createClientList } from '../components/client-list.js';
import { createClientModel } from '../components/client-model.js';
import { copyClient, editProperties, removeClients } from '../components/client-actions.js';
import { showMenu } from '../components/context-menu.js';
import { toast } from '../components/dialog.js';
import { groupNameOf, isAdmin, loadDirectory } from '../components/directory.js';
import { renderGroupTree } from '../components/group-tree.js';
import { onFeed, onFeedState } from '../components/live-feed.js';
import { renderSearchBox } from '../components/search-box.js';
import { openSession } from '../components/session-manager.js';
import { renderStats } from '../components/stats-pane.js';

/** @type {ReturnType<typeof create>|null} */
let view = null;

function create() {
  const slots = { tree: h('div'), stats: h('aside', { class: 'panel stats-pane', id: 'stats-pane', 'aria-labelledby': 'stats-title' }), count: h('p', { class: 'muted count', id: 'jc-count', role: 'status' }), feed: h('span', { class: 'feed' }), progress: h('p', { class: 'notice', hidden: true }), buttons: /** @type {Record<string, HTMLButtonElement>} */ ({}) };
  let selection = { ids: /** @type {number[]} */ ([]), row: null };
  let statsSig = '';
  let tagSig = '';
  const model = createClientModel({ groupNameOf, onChange: () => changed(), onError: (e) => toast(errorMessage(e), 'error') });
  const selectedRows = () => selection.ids.map((id) => model.byId(id)).filter(Boolean);
  const jump = (row) => row && openSession(row);
  const actions = {
    jump: () => jump(selection.ids.length === 1 ? model.byId(selection.ids[0]) : selection.row),
    remove: () => removeClients(selectedRows(), () => list.clearSelection(true)),
    properties: () => editProperties(selectedRows(), () => undefined),
    copy: () => copyClient(selectedRows()[0], () => undefined),
    refresh: () => refresh(),
  };
  const list = createClientList({
    model,
    groupNameOf,
    on: {
      select: (ids, row) => {
        selection = { ids, row };
        changed();
      },
      jump,
      remove: actions.remove,
      properties: actions.properties,
      menu: (x, y) =>
        showMenu({
          x, y, label: t('menu.label'),
          items: [
            { label: t('action.jump'), action: actions.jump, disabled: selection.ids.length !== 1 },
            { label: t('action.properties'), action: actions.properties },
            { label: t('action.copy'), action: actions.copy, disabled: selection.ids.length !== 1 },
            { label: t('action.remove'), action: actions.remove, danger: true },
            { label: t('action.refresh'), action: actions.refresh },
          ],
        }),
    },
  });

  function drawTree(focusKey) {
    slots.tree.replaceChildren(renderGroupTree({ current: model.query, tagsOf: model.tagsOf, choose }));
    if (focusKey) /** @type {HTMLElement|null} */ (slots.tree.querySelector(`[data-key="${focusKey}"]`))?.focus();
  }
  function choose(group, tag, focusKey) {
    const same = JSON.stringify(group) === JSON.stringify(model.query.group) && tag === model.query.tag;
    if (!same) {
      list.clearSelection();
      model.setQuery({ group, tag });
    }
    drawTree(focusKey);
  }
  function changed() {
    list.renderNow();
    const total = model.total;
    slots.count.textContent = model.loaded ? t(total === 1 ? 'jump.countOne' : 'jump.count', { n: total.toLocaleString() }) : t('common.loading');
    slots.progress.hidden = !model.progress;
    if (model.progress) slots.progress.textContent = t('jump.loadingAll', { done: model.progress.done, of: model.progress.of });
    const n = selection.ids.length;
    if (slots.buttons.jump) {
      slots.buttons.jump.disabled = n !== 1;
      slots.buttons.remove.disabled = n === 0;
      slots.buttons.properties.disabled = n === 0;
    }
    const row = n === 1 ? model.byId(selection.ids[0]) : null;
    const sig = `${n}|${row ? JSON.stringify(row) : ''}`;
    if (sig !== statsSig) {
      statsSig = sig;
      renderStats(slots.stats, { ids: selection.ids, summary: row, jump });
    }
    const tags = String(model.tagSignature());
    if (tags !== tagSig && !slots.tree.contains(document.activeElement)) {
      tagSig = tags;
      drawTree();
    }
  }
  async function refresh() {
    try {
      await loadDirectory();
    } catch (error) {
      toast(errorMessage(error), 'error');
    }
    drawTree();
    await model.reload();
  }
  const stopFeed = onFeed((m) => {
    if (m.type === 'jump_clients') {
      model.applyLive(m.upserts ?? [], m.removed ?? []);
      list.prune(m.removed ?? []);
    } else if (m.type === 'resync') void model.reload();
  });
  const stopState = onFeedState((state) => {
    slots.feed.className = `feed feed-${state}`;
    slots.feed.textContent = t(`feed.${state}`);
  });
  void refresh();
  const stop = () => {
    stopFeed();
    stopState();
  };
  return { model, list, slots, actions, drawTree, changed, refresh, stop, get selection() { return selection; } };
}

/** Forgets the page's state (logout). */
export function resetJumpPage() {
  view?.stop();
  view = null;
}

/** @param {HTMLElement} root */
export function renderJump(root) {
  view ??= create();
  const { slots, actions, list, model } = view;
  const button = (key, label, cls = 'secondary') => (slots.buttons[key] = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: cls, id: `jc-${key}`, onClick: actions[key] }, label)));
  const search = renderSearchBox({ text: model.query.search, fields: model.query.fields, search: (text, fields) => { list.clearSelection(); model.setQuery({ search: text, fields }); } });
  list.setEmpty(
    model.query.group || model.query.search
      ? h('p', {}, t('jump.noMatch'))
      : h('p', {}, t('jump.emptyTitle'), ' ', isAdmin() ? h('a', { href: '#/admin/installers' }, t('jump.emptyAction')) : t('jump.emptyAsk')),
  );
  list.relabel();
  root.replaceChildren(
    h(
      'div',
      { class: 'jump-layout' },
      h('nav', { class: 'panel groups-panel', 'aria-labelledby': 'groups-title' }, h('h2', { id: 'groups-title' }, t('tree.title')), slots.tree),
      h(
        'section',
        { class: 'panel list-panel', 'aria-labelledby': 'jump-title' },
        h('div', { class: 'list-head' }, h('h1', { id: 'jump-title' }, t('jump.title')), slots.count, slots.feed),
        h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': t('jump.actions') }, button('jump', t('action.jump'), 'primary-inline'), button('properties', t('action.properties')), button('remove', t('action.remove')), button('refresh', t('action.refresh')), search),
        slots.progress,
        list.root,
      ),
      slots.stats,
    ),
  );
  slots.feed.textContent = t(`feed.${slots.feed.className.replace('feed feed-', '') || 'offline'}`);
  view.drawTree();
  statsReset(view);
  view.changed();
}

function statsReset(v) {
  renderStats(v.slots.stats, { ids: v.selection.ids, summary: v.selection.ids.length === 1 ? v.model.byId(v.selection.ids[0]) : null, jump: (row) => openSession(row) });
}
