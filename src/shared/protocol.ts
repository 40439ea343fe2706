/**
 * The agent protocol, defined once and used by the hub and the Jump Client alike.
 *
 * Transport: one WebSocket per Jump Client at `AGENT_PATH`, authenticated at the upgrade with
 * `Authorization: Bearer <client id>.<secret>`. Control messages are JSON text frames, one
 * valibot schema per message, told apart by `type`. The first message of the agent is `hello`;
 * anything before it, anything malformed and anything oversized closes the socket with a code from
 * `CLOSE`. Binary frames are reserved for session data (channels).
 */
import * as v from 'valibot';

export const PROTOCOL_VERSION = 1;
export const AGENT_PATH = '/agent/v1/connect';
export const ENROLL_PATH = '/agent/v1/enroll';
export const UPDATE_PATH = '/agent/v1/update';
/** The largest control message either side accepts. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/** WebSocket close codes, one table (4xxx: application codes). */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  tooLarge: 1009,
  malformed: 4000,
  unauthorized: 4001,
  replaced: 4002,
  revoked: 4003,
  outOfOrder: 4005,
  unsupportedVersion: 4006,
  idle: 4007,
  tryLater: 4008,
  shuttingDown: 4009,
  uninstalled: 4010,
} as const;
export type CloseCode = (typeof CLOSE)[keyof typeof CLOSE];

/** Close codes after which the agent must not reconnect with the same identity. */
export const FINAL_CLOSE_CODES: readonly number[] = [CLOSE.unauthorized, CLOSE.revoked, CLOSE.uninstalled];

const text = (max: number) => v.pipe(v.string(), v.maxLength(max));
const count = v.pipe(v.number(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));

export const InstallModeSchema = v.picklist(['service', 'user']);
export const ConnectionTypeSchema = v.picklist(['active', 'passive']);
export type ConnectionType = v.InferOutput<typeof ConnectionTypeSchema>;

/**
 * Where a passive client listens to be woken (SPEC A6): its port, and the address it is bound to
 * when it is bound to one (none: every interface; the hub then tries the host names and IPs the
 * client reported).
 */
export const PassiveListenSchema = v.strictObject({
  port: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65_535)),
  address: v.optional(v.pipe(v.string(), v.ip())),
});
export type PassiveListen = v.InferOutput<typeof PassiveListenSchema>;

/** SPEC A3: what a Jump Client reports about its machine. */
export const StatisticsSchema = v.strictObject({
  hostname: text(255),
  fqdn: text(255),
  operating_system: text(128),
  os_version: text(128),
  arch: text(32),
  kernel: text(128),
  console_user: text(128),
  private_ips: v.pipe(v.array(text(64)), v.maxLength(64)),
  uptime_seconds: count,
  cpu_load: v.pipe(v.array(v.pipe(v.number(), v.minValue(0))), v.maxLength(3)),
  memory_total_bytes: count,
  memory_free_bytes: count,
  disk_total_bytes: count,
  disk_free_bytes: count,
  agent_version: text(32),
  install_mode: InstallModeSchema,
});
export type Statistics = v.InferOutput<typeof StatisticsSchema>;

// --- agent → hub -------------------------------------------------------------------------------

export const HelloMessage = v.strictObject({
  type: v.literal('hello'),
  protocol: v.pipe(v.number(), v.integer()),
  agent_version: text(32),
  disabled: v.boolean(),
  statistics: StatisticsSchema,
  /**
   * How the agent runs now. Sent by agents that know connection types; the hub answers them with
   * the type the console set, and keeps its welcome in the older shape for agents that do not.
   */
  connection_type: v.optional(ConnectionTypeSchema),
  /** A passive agent's listening port. */
  listen: v.optional(PassiveListenSchema),
});

export const StatsMessage = v.strictObject({ type: v.literal('stats'), statistics: StatisticsSchema });
export const HeartbeatMessage = v.strictObject({ type: v.literal('heartbeat') });
/** The person at the machine disabled or enabled the client. */
export const StateMessage = v.strictObject({ type: v.literal('state'), disabled: v.boolean() });
/** The client is being uninstalled on the machine. */
export const UninstallingMessage = v.strictObject({ type: v.literal('uninstalling') });

/** The agent could not start a requested session (on the control socket). */
export const SessionRefusedMessage = v.strictObject({
  type: v.literal('session_refused'),
  session_id: v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/)),
  reason: v.picklist(['disabled', 'spawn_failed', 'busy']),
  message: text(512),
});

export const AgentMessage = v.variant('type', [
  HelloMessage,
  StatsMessage,
  HeartbeatMessage,
  StateMessage,
  UninstallingMessage,
  SessionRefusedMessage,
]);
export type AgentMessage = v.InferOutput<typeof AgentMessage>;

// --- hub → agent -------------------------------------------------------------------------------

export const UpdateOffer = v.strictObject({
  version: text(32),
  sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
  size: count,
  path: text(256),
});
export type UpdateOffer = v.InferOutput<typeof UpdateOffer>;

export const WelcomeMessage = v.strictObject({
  type: v.literal('welcome'),
  protocol: v.pipe(v.number(), v.integer()),
  client_id: v.pipe(v.number(), v.integer()),
  statistics_interval_seconds: v.pipe(v.number(), v.integer(), v.minValue(1)),
  heartbeat_seconds: v.pipe(v.number(), v.integer(), v.minValue(1)),
  /** Give up and uninstall after this long without reaching the appliance (minutes). */
  max_offline_minutes: v.pipe(v.number(), v.integer(), v.minValue(1)),
  update: v.nullable(UpdateOffer),
  /** The connection type the console set; only to agents whose hello had one. */
  connection_type: v.optional(ConnectionTypeSchema),
});

export const UpdateMessage = v.strictObject({ type: v.literal('update'), update: UpdateOffer });
/** The Jump Client was removed in the console: uninstall yourself. */
export const UninstallMessage = v.strictObject({ type: v.literal('uninstall'), reason: text(256) });
export const SettingsMessage = v.strictObject({
  type: v.literal('settings'),
  statistics_interval_seconds: v.pipe(v.number(), v.integer(), v.minValue(1)),
  max_offline_minutes: v.pipe(v.number(), v.integer(), v.minValue(1)),
  connection_type: v.optional(ConnectionTypeSchema),
});

/**
 * Start a session: the agent opens a second WebSocket at `SESSION_PATH` with its credentials and
 * `x-jumpgate-session: <session_id>.<token>`, starts the shell, and sends `ready` there.
 */
export const SessionOpenMessage = v.strictObject({
  type: v.literal('session_open'),
  session_id: v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/)),
  token: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{32,64}$/)),
  cols: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000)),
  rows: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000)),
});

export const HubMessage = v.variant('type', [WelcomeMessage, UpdateMessage, UninstallMessage, SettingsMessage, SessionOpenMessage]);
export type HubMessage = v.InferOutput<typeof HubMessage>;

// --- session sockets -----------------------------------------------------------------------------
// One WebSocket per session, opened by the agent on demand. Binary frames are `[channel][bytes]`:
// channel 0 is the terminal, channels 1..255 are file transfers. Every data direction is
// credit-based: a sender may have at most `CHANNEL_WINDOW` bytes a channel not yet acknowledged
// by a `credit` message, so a fast producer (`cat` of a large file) never fills memory and a slow
// consumer (a technician's browser) slows the shell instead of the appliance.

export const SESSION_PATH = '/agent/v1/session';
export const SESSION_HEADER = 'x-jumpgate-session';
export const CHANNEL_WINDOW = 1024 * 1024;
export const TERMINAL_CHANNEL = 0;
/** The largest binary frame either side sends on a session socket (channel byte included). */
export const MAX_DATA_FRAME = 64 * 1024 + 1;

const channel = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(255));
const fileChannel = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(255));
const remotePath = v.pipe(v.string(), v.minLength(1), v.maxLength(4096), v.check((p) => !p.includes('\0')));
const fileErrorCode = v.picklist(['not_found', 'forbidden', 'not_a_file', 'is_directory', 'exists', 'io_error']);

/** The entries of a directory listing at most, over all its parts. */
export const MAX_LISTING_ENTRIES = 5000;

export const DirectoryEntry = v.strictObject({
  name: text(1024),
  kind: v.picklist(['file', 'directory', 'symlink', 'other']),
  size: count,
  mode: count,
  mtime: count,
});
export type DirectoryEntry = v.InferOutput<typeof DirectoryEntry>;

export const SystemInfo = v.strictObject({
  os: v.strictObject({ name: text(128), version: text(128), kernel: text(128), arch: text(32), hostname: text(255) }),
  uptime_seconds: count,
  cpu: v.strictObject({ model: text(256), cores: count, load: v.pipe(v.array(v.number()), v.maxLength(3)) }),
  memory: v.strictObject({ total_bytes: count, free_bytes: count, available_bytes: count }),
  disks: v.pipe(
    v.array(v.strictObject({ mount: text(1024), filesystem: text(256), total_bytes: count, free_bytes: count })),
    v.maxLength(256),
  ),
  network: v.pipe(
    v.array(v.strictObject({ name: text(64), addresses: v.pipe(v.array(text(64)), v.maxLength(64)), mac: text(32) })),
    v.maxLength(256),
  ),
  users: v.pipe(v.array(v.strictObject({ name: text(128), terminal: text(64), since: text(64) })), v.maxLength(256)),
  processes: v.pipe(
    v.array(
      v.strictObject({ pid: count, user: text(64), cpu_percent: v.number(), memory_bytes: count, command: text(512) }),
    ),
    v.maxLength(50),
  ),
});
export type SystemInfo = v.InferOutput<typeof SystemInfo>;

/** Agent → hub on a session socket. */
export const SessionAgentMessage = v.variant('type', [
  v.strictObject({ type: v.literal('ready'), shell: text(256), pid: count }),
  v.strictObject({ type: v.literal('spawn_error'), message: text(512) }),
  v.strictObject({ type: v.literal('exit'), code: v.nullable(v.number()), signal: v.nullable(text(32)) }),
  v.strictObject({ type: v.literal('credit'), channel, bytes: count }),
  v.strictObject({ type: v.literal('file_meta'), channel: fileChannel, size: count, mode: count, mtime: count }),
  v.strictObject({
    type: v.literal('dir_listing'),
    channel: fileChannel,
    path: remotePath,
    entries: v.pipe(v.array(DirectoryEntry), v.maxLength(MAX_LISTING_ENTRIES)),
    truncated: v.boolean(),
    /** More parts of this listing follow (`listingMessages`). */
    more: v.optional(v.boolean()),
  }),
  v.strictObject({ type: v.literal('file_error'), channel: fileChannel, code: fileErrorCode, message: text(512) }),
  v.strictObject({ type: v.literal('file_end'), channel: fileChannel }),
  v.strictObject({ type: v.literal('upload_ready'), channel: fileChannel }),
  v.strictObject({ type: v.literal('upload_done'), channel: fileChannel, bytes: count }),
  v.strictObject({ type: v.literal('sysinfo'), request_id: count, info: SystemInfo }),
]);
export type SessionAgentMessage = v.InferOutput<typeof SessionAgentMessage>;

/** Hub → agent on a session socket. */
export const SessionHubMessage = v.variant('type', [
  v.strictObject({
    type: v.literal('resize'),
    cols: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000)),
    rows: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000)),
  }),
  v.strictObject({ type: v.literal('credit'), channel, bytes: count }),
  v.strictObject({ type: v.literal('file_get'), channel: fileChannel, path: remotePath }),
  v.strictObject({ type: v.literal('file_put'), channel: fileChannel, path: remotePath }),
  v.strictObject({ type: v.literal('file_put_end'), channel: fileChannel }),
  v.strictObject({ type: v.literal('file_cancel'), channel: fileChannel }),
  v.strictObject({ type: v.literal('sysinfo_get'), request_id: count }),
  v.strictObject({ type: v.literal('end') }),
]);
export type SessionHubMessage = v.InferOutput<typeof SessionHubMessage>;

export const decodeSessionAgentMessage = (data: string | ArrayBuffer | Uint8Array) => decode(SessionAgentMessage, data);
export const decodeSessionHubMessage = (data: string | ArrayBuffer | Uint8Array) => decode(SessionHubMessage, data);

type ListingMessage = Extract<SessionAgentMessage, { type: 'dir_listing' }>;

/**
 * A directory listing as the messages that carry it, each within `MAX_MESSAGE_BYTES`: the entries in
 * order, every part but the last marked `more`. A listing of 5,000 entries is up to half a megabyte
 * of JSON, far more than one message may hold.
 */
export function listingMessages(channelId: number, listing: Pick<ListingMessage, 'path' | 'entries' | 'truncated'>): ListingMessage[] {
  const { path, entries, truncated } = listing;
  const envelope = Buffer.byteLength(JSON.stringify({ type: 'dir_listing', channel: channelId, path, entries: [], truncated, more: true }));
  const parts: ListingMessage['entries'][] = [[]];
  let size = envelope;
  for (const entry of entries) {
    const bytes = Buffer.byteLength(JSON.stringify(entry)) + 1; // and its comma
    if (size + bytes > MAX_MESSAGE_BYTES && parts[parts.length - 1].length > 0) {
      parts.push([]);
      size = envelope;
    }
    parts[parts.length - 1].push(entry);
    size += bytes;
  }
  return parts.map((part, i) => ({ type: 'dir_listing', channel: channelId, path, entries: part, truncated, ...(i < parts.length - 1 ? { more: true } : {}) }));
}

/** A binary data frame: the channel byte, then the payload. */
export function dataFrame(channelId: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(payload.byteLength + 1);
  frame[0] = channelId;
  frame.set(payload, 1);
  return frame;
}

// --- enrolment (HTTP, before the WebSocket) ------------------------------------------------------

export const EnrollRequest = v.strictObject({
  installer_key: v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
  /** Stable for one install directory on one machine: a reinstall there is the same client. */
  install_fingerprint: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
  /** Present when this directory already holds an identity (restart after a reinstall). */
  previous_client_id: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  overrides: v.strictObject({
    jump_group: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(255))),
    name: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(128))),
    tag: v.optional(v.pipe(v.string(), v.maxLength(64))),
    comments: v.optional(v.pipe(v.string(), v.maxLength(1024))),
    max_offline_minutes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(525_600))),
  }),
  statistics: StatisticsSchema,
});
export type EnrollRequest = v.InferOutput<typeof EnrollRequest>;

export const EnrollResponse = v.strictObject({
  client_id: v.pipe(v.number(), v.integer()),
  secret: v.pipe(v.string(), v.minLength(32), v.maxLength(128)),
});
export type EnrollResponse = v.InferOutput<typeof EnrollResponse>;

// --- decoding ----------------------------------------------------------------------------------

export type Decoded<T> = { ok: true; message: T } | { ok: false; code: CloseCode; reason: string };

function decode<T>(schema: v.GenericSchema<unknown, T>, data: string | ArrayBuffer | Uint8Array): Decoded<T> {
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  if (size > MAX_MESSAGE_BYTES) return { ok: false, code: CLOSE.tooLarge, reason: 'message too large' };
  let json: unknown;
  try {
    json = JSON.parse(typeof data === 'string' ? data : Buffer.from(data as ArrayBuffer).toString('utf8'));
  } catch {
    return { ok: false, code: CLOSE.malformed, reason: 'not JSON' };
  }
  const result = v.safeParse(schema, json);
  if (!result.success) {
    const issue = result.issues[0];
    return { ok: false, code: CLOSE.malformed, reason: `${v.getDotPath(issue) ?? 'message'}: ${issue.message}`.slice(0, 120) };
  }
  return { ok: true, message: result.output };
}

export const decodeAgentMessage = (data: string | ArrayBuffer | Uint8Array) => decode(AgentMessage, data);
export const decodeHubMessage = (data: string | ArrayBuffer | Uint8Array) => decode(HubMessage, data);

/** `Authorization` credentials of an enrolled client. */
export function agentCredentials(clientId: number, secret: string): string {
  return `Bearer ${clientId}.${secret}`;
}

export function parseAgentCredentials(header: string): { clientId: number; secret: string } | undefined {
  const m = /^Bearer (\d{1,15})\.([A-Za-z0-9_-]{32,128})$/.exec(header);
  return m ? { clientId: Number(m[1]), secret: m[2] } : undefined;
}
