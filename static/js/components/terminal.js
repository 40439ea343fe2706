/**
 * A terminal on the vendored xterm.js (static/vendor/xterm, served by the appliance): sized to
 * its box (the fit addon, on every resize of the box), copy and paste with Ctrl+Shift+C / V or
 * the toolbar buttons, and the console's colours.
 */
import { Terminal } from '/vendor/xterm/xterm.mjs';
import { FitAddon } from '/vendor/xterm/addon-fit.mjs';
import { h } from '../dom.js';

const THEME = { background: '#111820', foreground: '#e5e9ef', cursor: '#f2a900', selectionBackground: '#3a5a8c' };

/**
 * @param {{ label: string, cols?: number, rows?: number, readOnly?: boolean }} options
 */
export function createTerminal({ label, cols, rows, readOnly = false }) {
  const host = h('div', { class: 'term-host', 'aria-label': label, role: 'group' });
  const term = new Terminal({
    ...(cols && rows ? { cols, rows } : {}),
    cursorBlink: !readOnly,
    disableStdin: readOnly,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, monospace',
    fontSize: 14,
    scrollback: 5000,
    theme: THEME,
  });
  const fitter = new FitAddon();
  if (!readOnly) term.loadAddon(fitter);
  let opened = false;
  let frame = 0;

  const fit = () => {
    frame = 0;
    if (readOnly || !host.isConnected || host.clientWidth === 0 || host.clientHeight === 0) return;
    fitter.fit();
  };
  new ResizeObserver(() => {
    if (!frame) frame = requestAnimationFrame(fit);
  }).observe(host);

  async function copy() {
    const text = term.getSelection();
    if (!text) return;
    try {
      await navigator.clipboard.writeText(text);
    } catch (err) {
      console.warn('the clipboard refused the copy', err);
    }
  }
  async function paste() {
    try {
      const text = await navigator.clipboard.readText();
      if (text) term.paste(text);
    } catch (err) {
      console.warn('the clipboard refused the paste', err);
    }
    term.focus();
  }
  term.attachCustomKeyEventHandler((e) => {
    if (e.type !== 'keydown' || !e.ctrlKey || !e.shiftKey) return true;
    if (e.code === 'KeyC') void copy();
    else if (e.code === 'KeyV') void paste();
    else return true;
    e.preventDefault();
    return false;
  });

  return {
    host,
    term,
    /** Opens the terminal in its box the first time the box is in the page, then fits it. */
    attach() {
      if (!opened && host.isConnected) {
        term.open(host);
        opened = true;
      }
      fit();
    },
    size: () => ({ cols: term.cols, rows: term.rows }),
    copy,
    paste,
    dispose: () => term.dispose(),
  };
}
