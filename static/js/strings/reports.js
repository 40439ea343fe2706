/** Strings of reports, the status page, and the words shared by every page. */
export const en = {
  'common.close': 'Close', 'common.cancel': 'Cancel', 'common.actions': 'Actions', 'common.saved': 'Saved.', 'common.deleted': 'Deleted.',
  'common.copied': 'Copied to the clipboard.', 'common.copyFailed': 'The browser refused to copy; select the text and copy it.',
  'common.prev': 'Previous page', 'common.next': 'Next page', 'common.pages': 'Pages',
  'unit.dh': '{d} d {h} h', 'unit.hm': '{h} h {m} min', 'unit.m': '{m} min',
  'rep.sessions': 'Sessions', 'rep.audit': 'Audit log', 'rep.filters': 'Filters', 'rep.from': 'From', 'rep.to': 'To', 'rep.apply': 'Apply',
  'rep.any': 'Any', 'rep.none': 'Nothing found for these filters.', 'rep.started': 'Started', 'rep.ended': 'Ended', 'rep.user': 'Technician',
  'rep.client': 'Jump Client', 'rep.outcome': 'Outcome', 'rep.reason': 'How it ended', 'rep.bytes': 'Bytes sent · received', 'rep.recording': 'Recording',
  'rep.play': 'Play', 'rep.time': 'Time', 'rep.eventType': 'Event', 'rep.itemType': 'Item type', 'rep.itemId': 'Item', 'rep.actor': 'Who', 'rep.changes': 'Changes',
  'outcome.active': 'In progress', 'outcome.ended': 'Ended', 'outcome.failed': 'Failed',
  'event.created': 'Created', 'event.deleted': 'Deleted', 'event.changed': 'Changed', 'event.moved': 'Moved', 'event.copied': 'Copied',
  'event.session_started': 'Session started', 'event.uninstalled': 'Uninstalled', 'event.lost': 'Lost',
  'item.jump_client': 'Jump Client', 'item.installer': 'Installer', 'item.user': 'User', 'item.api_account': 'API account', 'item.jump_group': 'Jump Group',
  'item.membership': 'Membership', 'item.jump_item_role': 'Jump Item role', 'item.settings': 'Settings',
  'status.agents': 'Jump Clients connected', 'status.spawns': 'Spawns in flight', 'status.spawnsNote': 'in progress / the cap; most at once since start: {peak}',
  'status.refusedRecent': 'Busy refusals, last 5 minutes', 'status.refusedTotal': '{n} since the appliance started', 'status.history': 'Recent samples',
  'status.time': 'Time', 'status.refusedNew': 'New busy refusals', 'status.updated': 'Updated {time}',
};

/** @type {typeof en} */
export const it = {
  'common.close': 'Chiudi', 'common.cancel': 'Annulla', 'common.actions': 'Azioni', 'common.saved': 'Salvato.', 'common.deleted': 'Eliminato.',
  'common.copied': 'Copiato negli appunti.', 'common.copyFailed': 'Il browser non consente la copia; selezionare il testo e copiarlo.',
  'common.prev': 'Pagina precedente', 'common.next': 'Pagina successiva', 'common.pages': 'Pagine',
  'unit.dh': '{d} g {h} h', 'unit.hm': '{h} h {m} min', 'unit.m': '{m} min',
  'rep.sessions': 'Sessioni', 'rep.audit': 'Registro di controllo', 'rep.filters': 'Filtri', 'rep.from': 'Dal', 'rep.to': 'Al', 'rep.apply': 'Applica',
  'rep.any': 'Qualsiasi', 'rep.none': 'Nessun risultato per questi filtri.', 'rep.started': 'Inizio', 'rep.ended': 'Fine', 'rep.user': 'Tecnico di supporto',
  'rep.client': 'Jump Client', 'rep.outcome': 'Esito', 'rep.reason': 'Modalità di chiusura', 'rep.bytes': 'Byte inviati · ricevuti', 'rep.recording': 'Registrazione',
  'rep.play': 'Riproduci', 'rep.time': 'Ora', 'rep.eventType': 'Evento', 'rep.itemType': 'Tipo di elemento', 'rep.itemId': 'Elemento', 'rep.actor': 'Chi', 'rep.changes': 'Modifiche',
  'outcome.active': 'In corso', 'outcome.ended': 'Terminata', 'outcome.failed': 'Non riuscita',
  'event.created': 'Creato', 'event.deleted': 'Eliminato', 'event.changed': 'Modificato', 'event.moved': 'Spostato', 'event.copied': 'Copiato',
  'event.session_started': 'Sessione avviata', 'event.uninstalled': 'Disinstallato', 'event.lost': 'Perso',
  'item.jump_client': 'Jump Client', 'item.installer': 'Programma di installazione', 'item.user': 'Utente', 'item.api_account': 'Account API', 'item.jump_group': 'Gruppo Jump',
  'item.membership': 'Appartenenza', 'item.jump_item_role': 'Ruolo elemento Jump', 'item.settings': 'Impostazioni',
  'status.agents': 'Jump Client connessi', 'status.spawns': 'Avvii di sessione in corso', 'status.spawnsNote': 'in corso / il limite; massimo contemporaneo dall’avvio: {peak}',
  'status.refusedRecent': 'Rifiuti per server occupato, ultimi 5 minuti', 'status.refusedTotal': '{n} dall’avvio del dispositivo', 'status.history': 'Campioni recenti',
  'status.time': 'Ora', 'status.refusedNew': 'Nuovi rifiuti per server occupato', 'status.updated': 'Aggiornato {time}',
};
