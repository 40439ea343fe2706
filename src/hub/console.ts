/**
 * The console's live feed: a WebSocket (`/api/console/v1/events`) on which the technician's console
 * hears of Jump Clients that changed (status, new clients, removals) without pressing Refresh.
 * Changes are coalesced and sent at most every `flushMs`, each viewer seeing only the items it may
 * view; a viewer too slow to keep up is told to reload instead of being buffered without end.
 */
import { CLOSE } from '../shared/protocol.ts';
import type { ItemRef } from '../access/index.ts';
import type { ClientChange, ClientSummary } from '../registry/index.ts';
import type { WsRoute } from './listener.ts';
import { technicianUpgrade } from './upgrade.ts';
import type { WebSocket } from './uws.ts';

export interface ConsoleViewer {
  canView(item: ItemRef): boolean;
}

export interface ConsoleFeedOptions {
  /** The viewer behind an Authorization or Cookie header, if any. */
  authenticate(authorization: string, cookie: string): { viewer: ConsoleViewer; via: 'bearer' | 'cookie' } | undefined;
  subscribe(listener: (change: ClientChange) => void): () => void;
  /** What a viewer is shown of a client. */
  present(summary: ClientSummary): unknown;
  flushMs?: number;
}

export interface ConsoleFeed {
  readonly route: WsRoute;
  viewers(): number;
  close(): void;
}

interface ViewerData {
  viewer: ConsoleViewer;
  stale: boolean;
}

const SLOW_VIEWER_BYTES = 1024 * 1024;

export function createConsoleFeed(options: ConsoleFeedOptions): ConsoleFeed {
  const sockets = new Set<WebSocket<ViewerData>>();
  let pending = new Map<number, ClientChange>();

  const flush = (): void => {
    if (pending.size === 0 || sockets.size === 0) {
      pending.clear();
      return;
    }
    const changes = [...pending.values()];
    pending = new Map();
    for (const ws of sockets) {
      const data = ws.getUserData();
      if (data.stale) {
        if (ws.getBufferedAmount() === 0) {
          data.stale = false;
          ws.send(JSON.stringify({ type: 'resync' }));
        }
        continue;
      }
      const upserts: unknown[] = [];
      const removed: number[] = [];
      for (const change of changes) {
        if (change.kind === 'remove') removed.push(change.id);
        else if (data.viewer.canView(change.summary)) upserts.push(options.present(change.summary));
      }
      if (upserts.length === 0 && removed.length === 0) continue;
      if (ws.getBufferedAmount() > SLOW_VIEWER_BYTES) {
        data.stale = true;
        continue;
      }
      ws.send(JSON.stringify({ type: 'jump_clients', upserts, removed }));
    }
  };
  const timer = setInterval(flush, options.flushMs ?? 250);
  timer.unref();
  const unsubscribe = options.subscribe((change) => {
    pending.set(change.kind === 'remove' ? change.id : change.summary.id, change);
  });

  const route: WsRoute = {
    pattern: '/api/console/v1/events',
    behavior: {
      maxPayloadLength: 1024,
      idleTimeout: 120,
      maxBackpressure: 4 * SLOW_VIEWER_BYTES,
      sendPingsAutomatically: true,
      upgrade(res, req, context) {
        const up = technicianUpgrade(res, req, context, options.authenticate);
        if (up) up.handshake.accept<ViewerData>({ viewer: up.auth.viewer, stale: false });
      },
      open(ws: WebSocket<ViewerData>) {
        sockets.add(ws);
        ws.send(JSON.stringify({ type: 'hello' }));
      },
      message(ws: WebSocket<ViewerData>, _message: ArrayBuffer, isBinary: boolean) {
        // The feed is one-way; text from the console (keep-alives) is ignored.
        if (isBinary) ws.end(CLOSE.malformed, 'the feed takes no binary frames');
      },
      close(ws: WebSocket<ViewerData>) {
        sockets.delete(ws);
      },
    },
  };

  return {
    route,
    viewers: () => sockets.size,
    close() {
      clearInterval(timer);
      unsubscribe();
      for (const ws of [...sockets]) ws.end(CLOSE.shuttingDown, 'the appliance is shutting down');
    },
  };
}
