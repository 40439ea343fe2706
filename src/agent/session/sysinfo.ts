/** System information for the session's panel: OS, uptime, CPU, memory, disks, network, users, processes. */
import { execFile } from 'node:child_process';
import { readFileSync, statfsSync } from 'node:fs';
import os from 'node:os';
import type { SystemInfo } from '../../shared/protocol.ts';

const REAL_FILESYSTEMS = /^(ext[234]|xfs|btrfs|zfs|vfat|exfat|ntfs|f2fs|jfs|reiserfs|overlay|nfs4?|cifs|fuseblk)$/;

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 3000, maxBuffer: 1024 * 1024 }, (err, stdout) => resolve(err ? '' : stdout));
  });
}

function osRelease(): { name: string; version: string } {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const get = (key: string) => text.match(new RegExp(`^${key}="?([^"\\n]*)"?$`, 'm'))?.[1] ?? '';
    return { name: get('NAME') || os.type(), version: get('VERSION_ID') || get('VERSION') };
  } catch {
    return { name: os.type(), version: '' }; // no os-release: report the kernel family
  }
}

export function disks(): SystemInfo['disks'] {
  let mounts: string[] = [];
  try {
    mounts = readFileSync('/proc/mounts', 'utf8').split('\n');
  } catch {
    return []; // not Linux
  }
  const out: SystemInfo['disks'] = [];
  const seen = new Set<string>();
  for (const line of mounts) {
    const [device, mount, fs] = line.split(' ');
    if (!mount || !REAL_FILESYSTEMS.test(fs ?? '') || seen.has(device)) continue;
    seen.add(device);
    try {
      const s = statfsSync(mount.replace(/\\040/g, ' '));
      out.push({ mount, filesystem: fs, total_bytes: s.blocks * s.bsize, free_bytes: s.bavail * s.bsize });
    } catch {
      continue; // a mount we may not stat is left out
    }
    if (out.length >= 256) break;
  }
  return out;
}

export function parseWho(text: string): SystemInfo['users'] {
  return text
    .split('\n')
    .filter(Boolean)
    .slice(0, 256)
    .map((line) => {
      const [name = '', terminal = '', ...rest] = line.trim().split(/\s+/);
      return { name: name.slice(0, 128), terminal: terminal.slice(0, 64), since: rest.join(' ').slice(0, 64) };
    });
}

export function parsePs(text: string): SystemInfo['processes'] {
  return text
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .slice(0, 50)
    .map((line) => {
      const [pid = '0', user = '', cpu = '0', rss = '0', ...command] = line.trim().split(/\s+/);
      return {
        pid: Number(pid) || 0,
        user: user.slice(0, 64),
        cpu_percent: Number(cpu) || 0,
        memory_bytes: (Number(rss) || 0) * 1024,
        command: command.join(' ').slice(0, 512),
      };
    });
}

export async function systemInfo(): Promise<SystemInfo> {
  const release = osRelease();
  const cpus = os.cpus();
  let available = os.freemem();
  try {
    const kb = readFileSync('/proc/meminfo', 'utf8').match(/^MemAvailable:\s+(\d+)/m)?.[1];
    if (kb) available = Number(kb) * 1024;
  } catch {
    available = os.freemem(); // no /proc: free memory is the best estimate
  }
  const [who, ps] = await Promise.all([
    run('who', []),
    run('ps', ['-eo', 'pid,user,pcpu,rss,args', '--sort=-pcpu']),
  ]);
  return {
    os: { name: release.name, version: release.version, kernel: os.release(), arch: os.arch(), hostname: os.hostname() },
    uptime_seconds: Math.floor(os.uptime()),
    cpu: { model: cpus[0]?.model ?? '', cores: cpus.length, load: os.loadavg() },
    memory: { total_bytes: os.totalmem(), free_bytes: os.freemem(), available_bytes: available },
    disks: disks(),
    network: Object.entries(os.networkInterfaces())
      .slice(0, 256)
      .map(([name, addrs]) => ({
        name: name.slice(0, 64),
        addresses: (addrs ?? []).map((a) => a.address).slice(0, 64),
        mac: addrs?.[0]?.mac ?? '',
      })),
    users: parseWho(who),
    processes: parsePs(ps),
  };
}
