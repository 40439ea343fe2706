/**
 * Formatting of values for display: dates, sizes, durations, Jump Group names. Every function
 * returns plain text for textContent.
 */
import { getLang, t } from '../i18n.js';

const locale = () => (getLang() === 'it' ? 'it-IT' : 'en-GB');

/** "24 Nov 2025, 18:03" in the console's language; '—' for none. */
export function dateTime(value) {
  if (value === null || value === undefined || value === '') return '—';
  const date = typeof value === 'number' ? new Date(value) : new Date(String(value));
  if (Number.isNaN(date.getTime())) return '—';
  return date.toLocaleString(locale(), { dateStyle: 'medium', timeStyle: 'short' });
}

/** A file modification time from an agent: seconds or milliseconds since the epoch. */
export function mtime(value) {
  if (!value) return '—';
  return dateTime(value < 1e11 ? value * 1000 : value);
}

/** "1.5 GB" */
export function bytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toLocaleString(locale(), { maximumFractionDigits: digits })} ${units[unit]}`;
}

/** "3 d 4 h", "12 min" from seconds. */
export function uptime(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '—';
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return t('unit.dh', { d, h });
  if (h > 0) return t('unit.hm', { h, m });
  return t('unit.m', { m });
}

/** The name of a Jump Group for display: the shared group's name or `user:<username>`. */
export function groupName(groups, type, id) {
  if (type === 'personal') {
    const user = groups.users.get(id);
    return user ? `user:${user.username}` : `user:#${id}`;
  }
  return groups.shared.get(id)?.name ?? `#${id}`;
}

/** The translated word for a Jump Client status. */
export function statusText(status) {
  return t(`status.${status}`);
}

/** A percentage used of a total, "42 %". */
export function percentUsed(total, free) {
  if (!total) return '—';
  return `${Math.round(((total - free) / total) * 100)} %`;
}
