/** Strings of the session view: tabs, terminal, files, system information, and the player. */
export const en = {
  'session.title': 'Sessions', 'session.tabs': 'Open sessions', 'session.none': 'No open sessions. Jump to a Jump Client to start one.',
  'session.toJump': 'Go to the Jump Clients', 'session.close': 'Close the session with {name}', 'session.copy': 'Copy', 'session.paste': 'Paste',
  'session.end': 'End session', 'session.retry': 'Retry', 'session.retryIn': 'Retry in {n} s', 'session.terminalLabel': 'Terminal of {name}',
  'session.endedLine': '[the session has ended]', 'session.exited': 'Ended (exit code {code})',
  'session.state.starting': 'Starting…', 'session.state.active': 'Connected', 'session.state.busy': 'Server busy', 'session.state.failed': 'Failed', 'session.state.ended': 'Ended',
  'files.title': 'Files', 'files.path': 'Remote folder', 'files.up': 'Up one folder', 'files.go': 'Open', 'files.upload': 'Upload…',
  'files.dropHint': 'Drop files here to upload them into this folder.', 'files.empty': 'This folder is empty.', 'files.notActive': 'Available while the session is connected.',
  'files.name': 'Name', 'files.size': 'Size', 'files.modified': 'Modified', 'files.download': 'Download {name}', 'files.progress': 'Uploading {name}',
  'sys.title': 'System information', 'sys.refresh': 'Refresh the system information', 'sys.cpu': 'CPU (model · cores · load)', 'sys.disks': 'Disks',
  'sys.mount': 'Mount point', 'sys.size': 'Size', 'sys.used': 'Used', 'sys.network': 'Network', 'sys.interface': 'Interface', 'sys.addresses': 'Addresses',
  'sys.users': 'Users logged in', 'sys.user': 'User', 'sys.terminal': 'Terminal', 'sys.since': 'Since', 'sys.processes': 'Busiest processes', 'sys.command': 'Command',
  'player.title': 'Recording: {name}', 'player.play': 'Play', 'player.pause': 'Pause', 'player.restart': 'Restart', 'player.speed': 'Speed',
  'player.screen': 'Recorded terminal', 'player.done': 'end',
};

/** @type {typeof en} */
export const it = {
  'session.title': 'Sessioni', 'session.tabs': 'Sessioni aperte', 'session.none': 'Nessuna sessione aperta. Eseguire il Jump a un Jump Client per avviarne una.',
  'session.toJump': 'Vai ai Jump Client', 'session.close': 'Chiudi la sessione con {name}', 'session.copy': 'Copia', 'session.paste': 'Incolla',
  'session.end': 'Termina sessione', 'session.retry': 'Riprova', 'session.retryIn': 'Riprova tra {n} s', 'session.terminalLabel': 'Terminale di {name}',
  'session.endedLine': '[la sessione è terminata]', 'session.exited': 'Terminata (codice di uscita {code})',
  'session.state.starting': 'Avvio…', 'session.state.active': 'Connessa', 'session.state.busy': 'Server occupato', 'session.state.failed': 'Non riuscita', 'session.state.ended': 'Terminata',
  'files.title': 'File', 'files.path': 'Cartella remota', 'files.up': 'Cartella superiore', 'files.go': 'Apri', 'files.upload': 'Carica…',
  'files.dropHint': 'Trascinare qui i file per caricarli in questa cartella.', 'files.empty': 'Questa cartella è vuota.', 'files.notActive': 'Disponibile mentre la sessione è connessa.',
  'files.name': 'Nome', 'files.size': 'Dimensione', 'files.modified': 'Modificato', 'files.download': 'Scarica {name}', 'files.progress': 'Caricamento di {name}',
  'sys.title': 'Informazioni di sistema', 'sys.refresh': 'Aggiorna le informazioni di sistema', 'sys.cpu': 'CPU (modello · core · carico)', 'sys.disks': 'Dischi',
  'sys.mount': 'Punto di montaggio', 'sys.size': 'Dimensione', 'sys.used': 'Usato', 'sys.network': 'Rete', 'sys.interface': 'Interfaccia', 'sys.addresses': 'Indirizzi',
  'sys.users': 'Utenti connessi', 'sys.user': 'Utente', 'sys.terminal': 'Terminale', 'sys.since': 'Dalle', 'sys.processes': 'Processi più attivi', 'sys.command': 'Comando',
  'player.title': 'Registrazione: {name}', 'player.play': 'Riproduci', 'player.pause': 'Pausa', 'player.restart': 'Ricomincia', 'player.speed': 'Velocità',
  'player.screen': 'Terminale registrato', 'player.done': 'fine',
};
