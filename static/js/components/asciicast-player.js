/**
 * Plays a session recording (asciicast v2: a JSON header line, then `[seconds, "o", text]` lines)
 * in a read-only terminal inside a dialog: play / pause, restart, speed, and the time played.
 */
import { h } from '../dom.js';
import { errorMessage, t } from '../i18n.js';
import { openDialog } from './dialog.js';
import { createTerminal } from './terminal.js';

/** Parses the recording: its size and its output events. */
export function parseCast(text) {
  const lines = text.split('\n').filter((l) => l.trim());
  const header = JSON.parse(lines[0] ?? '{}');
  const events = [];
  for (const line of lines.slice(1)) {
    const e = JSON.parse(line);
    if (Array.isArray(e) && e[1] === 'o') events.push([Number(e[0]), String(e[2])]);
  }
  return { width: header.width || 80, height: header.height || 24, events };
}

const clock = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;

/** Opens the player for a session's recording. */
export async function playRecording(sessionId, title) {
  const status = h('span', { class: 'muted small', id: 'player-time', 'aria-live': 'off' }, '0:00');
  const slot = h('div', { class: 'player-screen' }, h('p', { class: 'muted' }, t('common.loading')));
  const play = h('button', { type: 'button', class: 'secondary small', id: 'player-play' }, t('player.pause'));
  const restart = h('button', { type: 'button', class: 'secondary small' }, t('player.restart'));
  const speed = h('select', { id: 'player-speed' }, [1, 2, 4, 8].map((n) => h('option', { value: String(n) }, `${n}×`)));
  const controls = h('div', { class: 'player-controls' }, play, restart, h('label', { htmlFor: 'player-speed' }, t('player.speed')), speed, status);
  let timer = 0;
  /** @type {ReturnType<typeof createTerminal>|null} */
  let terminal = null;
  const { close } = openDialog({
    title: t('player.title', { name: title }),
    body: [slot, controls],
    wide: true,
    id: 'player',
    onClose: () => {
      clearTimeout(timer);
      terminal?.dispose();
    },
  });

  let cast;
  try {
    const res = await fetch(`/api/reporting/v1/session/${sessionId}/recording`, { credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) {
      const body = await res.json().catch(() => null);
      throw Object.assign(new Error(body?.error?.message ?? res.statusText), { code: body?.error?.code ?? `http_${res.status}` });
    }
    cast = parseCast(await res.text());
  } catch (error) {
    slot.replaceChildren(h('p', { class: 'alert', role: 'alert' }, errorMessage(error)));
    return { close };
  }
  terminal = createTerminal({ label: t('player.screen'), cols: cast.width, rows: cast.height, readOnly: true });
  slot.replaceChildren(terminal.host);
  terminal.attach();
  let index = 0;
  let playing = true;
  let position = 0;

  const step = () => {
    if (!playing) return;
    if (index >= cast.events.length) {
      playing = false;
      play.textContent = t('player.play');
      status.textContent = `${clock(position)} · ${t('player.done')}`;
      return;
    }
    const [at, text] = cast.events[index++];
    position = at;
    terminal.term.write(text);
    status.textContent = clock(at);
    const next = cast.events[index];
    const wait = next ? Math.min(2, next[0] - at) / Number(/** @type {HTMLSelectElement} */ (speed).value) : 0;
    timer = window.setTimeout(step, wait * 1000);
  };
  play.addEventListener('click', () => {
    playing = !playing;
    play.textContent = playing ? t('player.pause') : t('player.play');
    if (playing && index >= cast.events.length) {
      index = 0;
      terminal.term.reset();
    }
    if (playing) step();
  });
  restart.addEventListener('click', () => {
    clearTimeout(timer);
    index = 0;
    terminal.term.reset();
    playing = true;
    play.textContent = t('player.pause');
    step();
  });
  step();
  return { close };
}
