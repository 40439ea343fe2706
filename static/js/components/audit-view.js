/**
 * How the audit log reads in the console: the item and event types it filters on, and its
 * columns, with the fields an event changed shown as `field: before → after`.
 */
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { dateTime } from './format.js';

export const ITEM_TYPES = ['jump_client', 'installer', 'user', 'api_account', 'jump_group', 'membership', 'jump_item_role', 'settings'];
export const EVENT_TYPES = ['created', 'deleted', 'changed', 'moved', 'copied', 'session_started', 'uninstalled', 'lost'];
const SKIP = new Set(['updated_at', 'created_at', 'statistics', 'last_connect_timestamp', 'last_disconnect_timestamp']);

const short = (v) => {
  const text = v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
};

/** The fields that differ between before and after, as text lines. */
export function changes(before, after) {
  const b = before && typeof before === 'object' ? before : {};
  const a = after && typeof after === 'object' ? after : {};
  if (!before || !after) {
    const row = after ? a : b;
    const name = row.name ?? row.username ?? '';
    return name ? [short(name)] : [];
  }
  const keys = new Set([...Object.keys(b), ...Object.keys(a)]);
  const out = [];
  for (const key of keys) {
    if (SKIP.has(key)) continue;
    if (JSON.stringify(b[key]) !== JSON.stringify(a[key])) out.push(`${key}: ${short(b[key])} → ${short(a[key])}`);
  }
  return out;
}

/** The audit log table's columns. */
export function auditColumns() {
  return [
    { label: t('rep.time'), cell: (e) => dateTime(e.timestamp) },
    { label: t('rep.eventType'), cell: (e) => t(`event.${e.event_type}`) },
    { label: t('rep.itemType'), cell: (e) => t(`item.${e.item_type}`) },
    { label: t('rep.itemId'), cell: (e) => e.item_id },
    { label: t('rep.actor'), cell: (e) => `${e.actor?.name ?? ''}${e.actor?.kind && e.actor.kind !== 'user' ? ` (${e.actor.kind})` : ''}` },
    { label: t('rep.changes'), cell: (e) => h('ul', { class: 'changes' }, changes(e.before, e.after).map((line) => h('li', {}, line))) },
  ];
}
