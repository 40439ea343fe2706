import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as v from 'valibot';
import { StatisticsSchema } from '../shared/protocol.ts';
import { collectStatistics, parseConsoleUser, parseOsRelease, privateAddresses, stableKey } from './stats.ts';

describe('statistics', () => {
  it('parses os-release with quoted and bare values', () => {
    const text = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n# comment\n';
    assert.deepEqual(parseOsRelease(text), { name: 'Debian GNU/Linux', version: '12' });
    assert.deepEqual(parseOsRelease("NAME='Alpine Linux'\nVERSION_ID=3.19.1\n"), { name: 'Alpine Linux', version: '3.19.1' });
    assert.deepEqual(parseOsRelease('ID=arch\nBUILD_ID=rolling\n'), { name: 'arch', version: 'rolling' });
    assert.deepEqual(parseOsRelease(''), { name: '', version: '' });
  });

  it('finds the console user: display first, then a virtual terminal, never a remote login', () => {
    const who = [
      'carol    pts/0        2024-05-01 09:00 (10.0.0.5)',
      'bob      tty2         2024-05-01 08:00',
      'alice    :0           2024-05-01 07:00 (:0)',
    ].join('\n');
    assert.equal(parseConsoleUser(who), 'alice');
    assert.equal(parseConsoleUser('bob      tty2         2024-05-01 08:00\n'), 'bob');
    assert.equal(parseConsoleUser('root     console      2024-05-01 08:00\n'), 'root');
    assert.equal(parseConsoleUser('carol    pts/0        2024-05-01 09:00 (10.0.0.5)\n'), '');
    assert.equal(parseConsoleUser(''), '');
  });

  it('lists private addresses without loopback and link-local', () => {
    const ifaces = {
      lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true } as never],
      eth0: [
        { address: '10.1.2.3', family: 'IPv4', internal: false } as never,
        { address: 'fe80::1', family: 'IPv6', internal: false } as never,
        { address: 'fd00::5', family: 'IPv6', internal: false } as never,
      ],
      eth1: [{ address: '192.168.1.9', family: 'IPv4', internal: false } as never],
    };
    assert.deepEqual(privateAddresses(ifaces), ['10.1.2.3', '192.168.1.9', 'fd00::5']);
  });

  it('collects statistics of this machine that pass the protocol schema', async () => {
    const s = await collectStatistics('user');
    v.parse(StatisticsSchema, s);
    assert.ok(s.hostname.length > 0);
    assert.ok(s.memory_total_bytes > 0);
    assert.ok(s.disk_total_bytes > 0);
    assert.equal(s.install_mode, 'user');
    assert.equal(stableKey(s), stableKey({ ...s, uptime_seconds: s.uptime_seconds + 10, cpu_load: [9, 9, 9] }));
    assert.notEqual(stableKey(s), stableKey({ ...s, console_user: 'someone-else' }));
  });
});
