/**
 * English and Italian strings (SPEC C6). The Italian wording follows the vocabulary of the Italian
 * Jump Client guide: "Jump Client", "Gruppo Jump", "console del tecnico di supporto", "dispositivo"
 * for the appliance, "Accedi". The chosen language is kept in localStorage.
 */
import { store } from './store.js';
import * as admin from './strings/admin.js';
import * as core from './strings/core.js';
import * as jump from './strings/jump.js';
import * as reports from './strings/reports.js';
import * as session from './strings/session.js';

const STORAGE_KEY = 'jumpgate.lang';
/** @type {readonly string[]} */
export const LANGUAGES = ['en', 'it'];

const DICTIONARIES = {
  en: { ...core.en, ...jump.en, ...session.en, ...admin.en, ...reports.en },
  it: { ...core.it, ...jump.it, ...session.it, ...admin.it, ...reports.it },
};
const en = DICTIONARIES.en;

/** The language in use: 'en' or 'it'. */
export function getLang() {
  return store.get().lang ?? 'en';
}

/**
 * The string for `key` in the current language, with `{name}` placeholders filled in. The result is
 * plain text: put it in the page with textContent only.
 * @param {string} key
 * @param {Record<string, string|number>} [params]
 */
export function t(key, params = {}) {
  const text = DICTIONARIES[getLang()][key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** Whether the current language has its own wording for `key`. */
export function has(key) {
  return key in DICTIONARIES[getLang()];
}

/** "45 seconds", "15 minutes": a wait, rounded up to whole minutes past two minutes. */
export function duration(seconds) {
  if (seconds < 120) return t(seconds === 1 ? 'unit.second' : 'unit.seconds', { n: seconds });
  return t('unit.minutes', { n: Math.ceil(seconds / 60) });
}

/**
 * The message to show for an API error: this language's wording of its code when there is one,
 * else the appliance's own message (the English catalog wording, or a field-specific one).
 * @param {{ code: string, message: string, retryAfter?: number|null }} error
 */
export function errorMessage(error) {
  const key = `error.${error.code}`;
  if (!has(key)) return error.message;
  return t(key, { wait: duration(error.retryAfter ?? 60) });
}

/** Switches the language and remembers the choice. */
export function setLang(lang) {
  if (!LANGUAGES.includes(lang)) return;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch (err) {
    console.warn('the language choice cannot be saved', err);
  }
  document.documentElement.lang = lang;
  store.set({ lang });
}

/** The saved language, else the browser's if it is Italian, else English. */
export function initLang() {
  let saved = null;
  try {
    saved = localStorage.getItem(STORAGE_KEY);
  } catch (err) {
    console.warn('the saved language cannot be read', err);
  }
  const browser = (navigator.language || '').toLowerCase().startsWith('it') ? 'it' : 'en';
  setLang(LANGUAGES.includes(saved) ? saved : browser);
}

/**
 * A reason the appliance gives in English (why a client is unavailable), in the current language
 * when its dictionary has it, else as given.
 * @param {string} text
 */
export function reasonText(text) {
  return has(`reason.${text}`) ? t(`reason.${text}`) : text;
}
