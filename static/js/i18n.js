/**
 * English and Italian strings (SPEC C6). The Italian wording follows the vocabulary of the Italian
 * Jump Client guide: "Jump Client", "Gruppo Jump", "console del tecnico di supporto", "dispositivo"
 * for the appliance, "Accedi". The chosen language is kept in localStorage.
 */
import { store } from './store.js';

const STORAGE_KEY = 'jumpgate.lang';
/** @type {readonly string[]} */
export const LANGUAGES = ['en', 'it'];

const en = {
  'app.tagline': 'Unattended access to systems on any network',
  'app.skip': 'Skip to content',
  'app.footer': 'Jump Client appliance',
  'lang.label': 'Language',
  'lang.en': 'English',
  'lang.it': 'Italiano',
  'common.loading': 'Loading…',
  'login.title': 'Log in',
  'login.intro': 'Log in to the support technician console.',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.submit': 'Log in',
  'login.busy': 'Logging in…',
  'login.failed': 'The username or password is wrong, or the account is disabled.',
  'login.sessionEnded': 'Your session has ended. Log in again.',
  'login.loggedOut': 'You have logged out.',
  'home.title': 'Support technician console',
  'home.loggedInAs': 'Logged in as {name} ({username})',
  'home.accountTitle': 'Your account',
  'home.role': 'Role',
  'home.admin': 'Administrator',
  'home.technician': 'Support technician',
  'home.isAdmin': 'Administrator rights',
  'home.yes': 'Yes',
  'home.no': 'No',
  'home.applianceTitle': 'Appliance',
  'home.version': 'Version',
  'home.fingerprint': 'Certificate fingerprint (SHA-256)',
  'home.noTls': 'None: the appliance serves plain HTTP',
  'home.publicUrl': 'Address for Jump Clients',
  'home.logout': 'Log out',
  'home.loggingOut': 'Logging out…',
  'unit.second': '{n} second',
  'unit.seconds': '{n} seconds',
  'unit.minute': '{n} minute',
  'unit.minutes': '{n} minutes',
  'error.network_error': 'The appliance cannot be reached. Check the connection and try again.',
  'error.too_many_requests': 'Too many failed login attempts. Try again in {wait}.',
};

/** @type {typeof en & Record<string, string>} */
const it = {
  'app.tagline': 'Accesso non assistito ai sistemi in qualsiasi rete',
  'app.skip': 'Vai al contenuto',
  'app.footer': 'Dispositivo Jump Client',
  'lang.label': 'Lingua',
  'lang.en': 'English',
  'lang.it': 'Italiano',
  'common.loading': 'Caricamento…',
  'login.title': 'Accedi',
  'login.intro': 'Accedere alla console del tecnico di supporto.',
  'login.username': 'Nome utente',
  'login.password': 'Password',
  'login.submit': 'Accedi',
  'login.busy': 'Accesso in corso…',
  'login.failed': "Il nome utente o la password sono errati, oppure l'account è disattivato.",
  'login.sessionEnded': 'La sessione è terminata. Accedere di nuovo.',
  'login.loggedOut': 'Disconnessione effettuata.',
  'home.title': 'Console del tecnico di supporto',
  'home.loggedInAs': 'Accesso effettuato come {name} ({username})',
  'home.accountTitle': 'Il tuo account',
  'home.role': 'Ruolo',
  'home.admin': 'Amministratore',
  'home.technician': 'Tecnico di supporto',
  'home.isAdmin': 'Diritti di amministratore',
  'home.yes': 'Sì',
  'home.no': 'No',
  'home.applianceTitle': 'Dispositivo',
  'home.version': 'Versione',
  'home.fingerprint': 'Impronta del certificato (SHA-256)',
  'home.noTls': 'Nessuna: il dispositivo usa HTTP senza TLS',
  'home.publicUrl': 'Indirizzo per i Jump Client',
  'home.logout': 'Disconnetti',
  'home.loggingOut': 'Disconnessione in corso…',
  'unit.second': '{n} secondo',
  'unit.seconds': '{n} secondi',
  'unit.minute': '{n} minuto',
  'unit.minutes': '{n} minuti',
  'error.network_error': 'Impossibile raggiungere il dispositivo. Verificare la connessione e riprovare.',
  'error.too_many_requests': 'Troppi tentativi di accesso non riusciti. Riprovare tra {wait}.',
  'error.unauthorized': 'È necessario eseguire l’accesso.',
  'error.forbidden': 'Non si dispone dell’autorizzazione per eseguire questa operazione.',
  'error.not_found': 'La risorsa non esiste.',
  'error.internal_error': 'Si è verificato un errore interno.',
  // The error catalog (SPEC E), worded as in the Italian guide's appendix.
  'error.limit_installed': 'È stato raggiunto il numero totale di Jump Client installabili per questo sito.',
  'error.limit_active': 'È stato raggiunto il numero totale di Jump Client attivi installabili per questo sito.',
  'error.pin_pending': 'La sessione di supporto tecnico ha già una richiesta di vincolare in sospeso.',
  'error.already_pinned': 'Il client di supporto tecnico è già vincolato.',
  'error.no_customer': 'Impossibile trovare clienti nella conferenza di supporto tecnico.',
  'error.customer_offline': 'Il cliente nella conferenza di supporto tecnico non è online.',
  'error.jump_client_not_found': 'Il Jump Client non esiste.',
  'error.jump_client_offline': 'Il Jump Client è offline.',
  'error.jump_client_uninstalled': 'Il Jump Client specificato è stato disinstallato.',
  'error.active_limit_reached': 'È stato raggiunto il numero di Jump Client attivi.',
  'error.server_busy': 'Il server è attualmente troppo occupato. Riprovare più tardi.',
  'error.session_internal_error': 'Si è verificato un errore interno durante la generazione della sessione di supporto tecnico.',
  'error.session_spawn_timeout': 'Un’operazione interna impiegava troppo tempo nel tentativo di creare una sessione di supporto tecnico.',
  'error.active_not_connected': 'Il Jump Client attivo non è connesso.',
  'error.connect_timeout': 'Timeout durante il tentativo di connessione al Jump Client.',
  'error.jump_client_disabled': 'Il Jump Client è stato disattivato dall’utente e al momento non consente l’avvio di una sessione.',
  'error.jump_client_updating': 'Il Jump Client esegue una versione diversa e ora tenterà di aggiornarla. Riprovare dopo il completamento dell’aggiornamento.',
};

const DICTIONARIES = { en, it };

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
