/**
 * The Jump Client list's data, built for 100,000 items: pages of 1000 fetched only when the visible
 * rows need them (the appliance lists by name, so a name sort either way needs no more), the whole
 * list fetched only when sorting by another column, live changes applied in place, and the tags
 * seen per Jump Group (for the arrows of the left panel). The list component draws from `rowAt`.
 */
import { getPage } from '../api.js';
import { PER_PAGE, comparator, emptyQuery, groupKey, matchesQuery, pageUrl } from './client-query.js';

/**
 * @param {{ groupNameOf: (type: string, id: number) => string, onChange: () => void, onError: (e: any) => void }} deps
 */
export function createClientModel({ groupNameOf, onChange, onError }) {
  let query = emptyQuery();
  let sort = { key: 'name', dir: /** @type {1|-1} */ (1) };
  let gen = 0;
  let total = 0;
  let lastPage = 1;
  let loaded = false;
  let pages = new Map();
  let stale = null;
  const pending = new Set();
  /** @type {any[]|null} every row, in display order, once all pages are here */
  let local = null;
  let progress = null;
  const byId = new Map();
  const tags = new Map();
  let reloadTimer = 0;

  const seeTag = (row) => {
    if (!row.tag) return;
    const key = groupKey(row.jump_group_type, row.jump_group_id);
    if (!tags.has(key)) tags.set(key, new Set());
    tags.get(key).add(row.tag);
  };
  const compact = (row) => {
    const { statistics: _s, ...rest } = row;
    return rest;
  };
  const resort = () => local?.sort(comparator(sort.key, sort.dir, groupNameOf));
  const complete = () => {
    if (local || pages.size < lastPage) return;
    local = [];
    for (let p = 1; p <= lastPage; p++) local.push(...(pages.get(p) ?? []));
    if (!(sort.key === 'name' && sort.dir === 1)) resort();
  };

  async function fetchPage(page) {
    const g = gen;
    pending.add(page);
    try {
      const answer = await getPage(pageUrl(query, page));
      if (g !== gen) return;
      stale = null;
      total = answer.total;
      lastPage = Math.max(1, answer.lastPage);
      loaded = true;
      const rows = answer.items.map((r) => {
        const row = compact(r);
        byId.set(row.id, row);
        seeTag(row);
        return row;
      });
      pages.set(page, rows);
      complete();
    } catch (error) {
      if (g === gen) onError(error);
    } finally {
      if (g === gen) pending.delete(page);
    }
    if (g === gen) onChange();
  }

  function reset() {
    gen++;
    stale = pages;
    pages = new Map();
    pending.clear();
    local = null;
    byId.clear();
    progress = null;
    loaded = false;
  }

  const model = {
    get query() { return query; },
    get sort() { return sort; },
    get total() { return local ? local.length : total; },
    get loaded() { return loaded; },
    get progress() { return progress; },
    /** Changes whenever a tag is seen for the first time. */
    tagSignature: () => [...tags.values()].reduce((n, set) => n + set.size, 0),
    tagsOf: (type, id) => [...(tags.get(groupKey(type, id)) ?? [])].sort(),
    byId: (id) => byId.get(id),
    /** The row shown at `index`, or null while its page loads. */
    rowAt(index) {
      if (local) return local[index] ?? null;
      const i = sort.dir === 1 ? index : total - 1 - index;
      const page = Math.floor(i / PER_PAGE) + 1;
      return (pages.get(page) ?? stale?.get(page))?.[i % PER_PAGE] ?? null;
    },
    /** Fetches the pages behind rows `first..last` that are not here yet. */
    ensure(first, last) {
      if (local || !loaded) return;
      for (let index = Math.max(0, first); index <= Math.min(last, total - 1); index += PER_PAGE) {
        for (const at of [index, Math.min(last, total - 1)]) {
          const i = sort.dir === 1 ? at : total - 1 - at;
          const page = Math.floor(i / PER_PAGE) + 1;
          if (!pages.has(page) && !pending.has(page)) fetchPage(page);
        }
      }
    },
    setQuery(patch) {
      query = { ...query, ...patch };
      model.reload();
    },
    reload() {
      clearTimeout(reloadTimer);
      reset();
      onChange();
      return fetchPage(1);
    },
    async setSort(key) {
      sort = { key, dir: sort.key === key ? /** @type {1|-1} */ (-sort.dir) : 1 };
      if (local) resort();
      else if (key !== 'name') await model.loadAll();
      onChange();
    },
    /** Fetches every page (four at a time), reporting progress. */
    async loadAll() {
      const g = gen;
      const missing = [];
      for (let p = 1; p <= lastPage; p++) if (!pages.has(p)) missing.push(p);
      progress = { done: pages.size, of: lastPage };
      onChange();
      while (missing.length && g === gen) {
        await Promise.all(missing.splice(0, 4).map((p) => (pending.has(p) ? null : fetchPage(p))));
        if (g === gen) progress = { done: pages.size, of: lastPage };
        onChange();
      }
      if (g === gen) progress = null;
      complete();
    },
    /** A batch of the live feed: changed or new summaries, removed ids. */
    applyLive(upserts, removed) {
      let reload = false;
      let needSort = false;
      for (const u of upserts) {
        seeTag(u);
        const known = byId.get(u.id);
        const fits = matchesQuery(query, u, groupNameOf);
        if (known) {
          const renamed = known.name !== u.name;
          Object.assign(known, compact(u));
          if (local && !fits) local = local.filter((r) => r.id !== u.id);
          else if (local) needSort = true;
          else if (renamed || !fits) reload = true;
        } else if (fits) {
          if (local) {
            const row = compact(u);
            byId.set(row.id, row);
            local.push(row);
            needSort = true;
          } else reload = true;
        }
      }
      for (const id of removed) {
        if (!byId.has(id)) continue;
        byId.delete(id);
        if (local) local = local.filter((r) => r.id !== id);
        else reload = true;
      }
      if (local && needSort) resort();
      if (reload) {
        clearTimeout(reloadTimer);
        reloadTimer = setTimeout(() => model.reload(), 300);
      }
      onChange();
    },
  };
  return model;
}
