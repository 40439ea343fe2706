/**
 * The pure side of the Jump Client list: the query string of `GET /jump-client`, the local match of
 * a row against the query (for live updates of a fully loaded list), and the column sort order.
 * Mirrors the appliance's search (src/api/routes/jump-client-search.ts) so a live change lands
 * where a Refresh would put it.
 */

export const PER_PAGE = 1000;
export const SEARCH_FIELDS = ['comments', 'console_user', 'group', 'jump_method', 'last_access', 'name', 'private_ip', 'public_ip', 'status', 'tag'];

/**
 * @typedef {{ group: { type: 'shared'|'personal', id: number }|null, tag: string|null, search: string, fields: string[] }} ClientQuery
 */

/** The first query: everything visible, every search field. */
export function emptyQuery() {
  return { group: null, tag: null, search: '', fields: [...SEARCH_FIELDS] };
}

/** `/api/config/v1/jump-client?...` for one page of the query. */
export function pageUrl(query, page) {
  const p = new URLSearchParams({ per_page: String(PER_PAGE), current_page: String(page) });
  if (query.group) {
    p.set('jump_group_type', query.group.type);
    p.set('jump_group_id', String(query.group.id));
  }
  if (query.tag !== null) p.set('tag', query.tag);
  if (query.search) {
    p.set('search', query.search);
    if (query.fields.length < SEARCH_FIELDS.length) p.set('search_fields', query.fields.join(','));
  }
  return `/api/config/v1/jump-client?${p}`;
}

const has = (value, needle) => typeof value === 'string' && value.toLowerCase().includes(needle);

/**
 * Whether a row belongs to the query, decided in the browser.
 * @param {ClientQuery} query
 * @param {any} row a client summary
 * @param {(type: string, id: number) => string} groupNameOf
 */
export function matchesQuery(query, row, groupNameOf) {
  if (query.group && (row.jump_group_type !== query.group.type || row.jump_group_id !== query.group.id)) return false;
  if (query.tag !== null && row.tag !== query.tag) return false;
  if (!query.search) return true;
  const needle = query.search.toLowerCase();
  const f = new Set(query.fields);
  return (
    (f.has('name') && has(row.name, needle)) ||
    (f.has('tag') && has(row.tag, needle)) ||
    (f.has('comments') && has(row.comments, needle)) ||
    (f.has('console_user') && has(row.console_user, needle)) ||
    (f.has('public_ip') && has(row.public_ip, needle)) ||
    (f.has('private_ip') && (has(row.private_ip, needle) || (row.private_ips ?? []).some((ip) => has(ip, needle)))) ||
    (f.has('status') && has(row.status, needle)) ||
    (f.has('jump_method') && has(row.connection_type, needle)) ||
    (f.has('group') && has(groupNameOf(row.jump_group_type, row.jump_group_id), needle)) ||
    (f.has('last_access') && has(row.last_access_timestamp ?? '', needle))
  );
}

/** The list order of the appliance: name (code-unit order), then id. */
export function byNameThenId(a, b) {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.id - b.id;
}

/** The value a column sorts by. */
function sortValue(key, row, groupNameOf) {
  if (key === 'group') return groupNameOf(row.jump_group_type, row.jump_group_id).toLowerCase();
  if (key === 'last_access') return row.last_access_timestamp ?? '';
  const value = row[key];
  return typeof value === 'string' ? value.toLowerCase() : value ?? '';
}

/**
 * A comparator for a column and direction (1 ascending, -1 descending); ties by name then id.
 * @param {string} key
 * @param {1|-1} dir
 * @param {(type: string, id: number) => string} groupNameOf
 */
export function comparator(key, dir, groupNameOf) {
  if (key === 'name') return (a, b) => dir * byNameThenId(a, b);
  return (a, b) => {
    const x = sortValue(key, a, groupNameOf);
    const y = sortValue(key, b, groupNameOf);
    if (x !== y) return dir * (x < y ? -1 : 1);
    return byNameThenId(a, b);
  };
}

/** The key of a Jump Group in maps: `shared:3`, `personal:1`. */
export const groupKey = (type, id) => `${type}:${id}`;
