/**
 * What the Jump Client reports about its machine (SPEC A3). The parsers are pure and tested; the
 * collector reads the machine best effort (a missing `who` or `/etc/os-release` gives '' fields,
 * never an error) and always returns statistics that pass the shared schema.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { statfsSync } from 'node:fs';
import * as os from 'node:os';
import * as v from 'valibot';
import { StatisticsSchema, type Statistics } from '../shared/protocol.ts';
import { VERSION } from '../shared/version.ts';

/** `/etc/os-release`: KEY=value lines, values optionally quoted. */
export function parseOsRelease(text: string): { name: string; version: string } {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let value = m[2];
    const q = /^(["'])(.*)\1$/.exec(value);
    if (q) value = q[2].replace(/\\(.)/g, '$1');
    fields.set(m[1], value);
  }
  return {
    name: fields.get('NAME') ?? fields.get('ID') ?? '',
    version: fields.get('VERSION_ID') ?? fields.get('VERSION') ?? fields.get('BUILD_ID') ?? '',
  };
}

/**
 * The console user from `who` output: the user on a local display (`:0`) first, then on a
 * virtual terminal (`tty1`) or the `console`; '' when only remote logins (pts) or nobody.
 */
export function parseConsoleUser(whoOutput: string): string {
  let terminalUser = '';
  for (const line of whoOutput.split('\n')) {
    const [user, line2] = line.trim().split(/\s+/);
    if (!user || !line2) continue;
    if (/^:\d+/.test(line2) || /^seat\d+$/.test(line2)) return user;
    if (!terminalUser && (/^tty\d+$/.test(line2) || line2 === 'console')) terminalUser = user;
  }
  return terminalUser;
}

/** Non-internal addresses of the machine's interfaces, IPv4 first, link-local IPv6 left out. */
export function privateAddresses(interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>): string[] {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const list of Object.values(interfaces)) {
    for (const info of list ?? []) {
      if (info.internal) continue;
      if (info.family === 'IPv4') v4.push(info.address);
      else if (!/^fe80:/i.test(info.address)) v6.push(info.address);
    }
  }
  return [...new Set([...v4, ...v6])].slice(0, 64);
}

const clip = (s: string, max: number): string => s.slice(0, max);

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 2000, maxBuffer: 256 * 1024 }, (err, stdout) => resolve(err ? '' : stdout));
  });
}

let fqdnCache: { value: string; at: number } | undefined;

async function fqdn(hostname: string): Promise<string> {
  if (hostname.includes('.')) return hostname;
  if (fqdnCache && Date.now() - fqdnCache.at < 300_000) return fqdnCache.value;
  const out = (await run('hostname', ['-f'])).trim();
  const value = /^[A-Za-z0-9.-]{1,255}$/.test(out) ? out : hostname;
  fqdnCache = { value, at: Date.now() };
  return value;
}

function disk(): { total: number; free: number } {
  try {
    const s = statfsSync('/');
    return { total: s.blocks * s.bsize, free: s.bavail * s.bsize };
  } catch {
    return { total: 0, free: 0 };
  }
}

/** Collects the statistics of this machine. */
export async function collectStatistics(installMode: Statistics['install_mode']): Promise<Statistics> {
  const hostname = os.hostname();
  const [osRelease, who, fullName] = await Promise.all([
    readFile('/etc/os-release', 'utf8').catch(() => readFile('/usr/lib/os-release', 'utf8').catch(() => '')),
    run('who', []),
    fqdn(hostname),
  ]);
  const release = parseOsRelease(osRelease);
  const d = disk();
  const stats: Statistics = {
    hostname: clip(hostname, 255),
    fqdn: clip(fullName, 255),
    operating_system: clip(release.name || os.type(), 128),
    os_version: clip(release.version, 128),
    arch: clip(os.arch(), 32),
    kernel: clip(os.release(), 128),
    console_user: clip(parseConsoleUser(who), 128),
    private_ips: privateAddresses(os.networkInterfaces()).map((a) => clip(a, 64)),
    uptime_seconds: Math.max(0, Math.floor(os.uptime())),
    cpu_load: os.loadavg().map((n) => Math.max(0, Math.round(n * 100) / 100)),
    memory_total_bytes: os.totalmem(),
    memory_free_bytes: os.freemem(),
    disk_total_bytes: d.total,
    disk_free_bytes: d.free,
    agent_version: clip(VERSION, 32),
    install_mode: installMode,
  };
  return v.parse(StatisticsSchema, stats);
}

/** The fields whose change is worth a report at once (not the ever-moving gauges). */
export function stableKey(s: Statistics): string {
  return JSON.stringify([s.hostname, s.fqdn, s.operating_system, s.os_version, s.arch, s.kernel, s.console_user, s.private_ips, s.agent_version]);
}
