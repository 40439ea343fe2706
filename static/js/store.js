/**
 * The console's one tiny store: a plain state object, shallow updates, and subscribers told which
 * keys changed. It lives in memory only: the session itself is the HttpOnly cookie the browser
 * keeps, and the bearer token is never stored by the page. The CSRF token is kept here, in memory,
 * and sent on state-changing requests.
 */

/**
 * @typedef {object} State
 * @property {'loading'|'login'|'home'} page  the page shown
 * @property {string|null} csrf                CSRF token from login or /api/auth/me
 * @property {object|null} me                  the answer of /api/auth/me (or the login's user)
 * @property {string|null} notice              i18n key of a message for the login page (session ended)
 * @property {'en'|'it'} lang                   the console's language (see i18n.js)
 * @property {string} route                     the signed-in page, from the address's hash (main.js)
 */

/** @returns {State} */
function initialState() {
  return { page: 'loading', csrf: null, me: null, notice: null, lang: 'en', route: 'jump' };
}

/**
 * @template {Record<string, unknown>} S
 * @param {S} initial
 */
export function createStore(initial) {
  let state = Object.freeze({ ...initial });
  /** @type {Set<(state: S, changed: Set<string>) => void>} */
  const listeners = new Set();

  return {
    /** @returns {S} the current state (frozen: change it with set) */
    get() {
      return state;
    },
    /**
     * Shallow-merges `patch` and tells subscribers which keys really changed.
     * @param {Partial<S>} patch
     */
    set(patch) {
      const changed = new Set();
      for (const [key, value] of Object.entries(patch)) {
        if (!Object.is(state[key], value)) changed.add(key);
      }
      if (changed.size === 0) return;
      state = Object.freeze({ ...state, ...patch });
      for (const listener of [...listeners]) listener(state, changed);
    },
    /**
     * Calls `listener` after every change; returns the function that unsubscribes it.
     * @param {(state: S, changed: Set<string>) => void} listener
     */
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** The console's store. */
export const store = createStore(initialState());

/**
 * Forgets everything about the signed-in user (logout, expired session).
 * @param {string|null} [notice] i18n key of the message the login page shows
 */
export function clearSession(notice = null) {
  store.set({ csrf: null, me: null, notice, page: 'login' });
}

/** Records a signed-in user and shows the home page. */
export function startSession(me, csrf) {
  store.set({ me, csrf, notice: null, page: 'home' });
}
