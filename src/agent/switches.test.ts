import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSwitches, checkOverridesAllowed, InstallRefusal } from './switches.ts';

const refused = (argv: string[], message: string) =>
  assert.throws(() => parseSwitches(argv), (err: unknown) => err instanceof InstallRefusal && err.message === message);

const ALL_ALLOWED = { jump_group: true, name: true, tag: true, comments: true, max_offline_minutes: true };

describe('installer switches', () => {
  it('reads every dashed switch, with a separate value or after =', () => {
    const s = parseSwitches([
      '--install-dir', '/opt/jc',
      '--user', 'jsmith',
      '--key-info', 'k'.repeat(20),
      '--jc-jump-group', 'Linux Admins',
      '--jc-tag=Headless Linux Systems',
      '--jc-comments', 'rack 4',
      '--jc-name', 'web-01',
      '--jc-max-offline-minutes', '60',
    ]);
    assert.equal(s.installDir, '/opt/jc');
    assert.equal(s.user, 'jsmith');
    assert.equal(s.keyInfo, 'k'.repeat(20));
    assert.deepEqual(s.overrides, { jump_group: 'Linux Admins', tag: 'Headless Linux Systems', comments: 'rack 4', name: 'web-01', max_offline_minutes: 60 });
  });

  it('reads every MSI-style twin, installdir and KEY_INFO case-insensitively', () => {
    const s = parseSwitches([
      'INSTALLDIR=/opt/jc',
      'user=jsmith',
      'KEY_INFO=w0dc3056g7ff8d1j68ee6wi6dhwzefgggyezh7c40jc90',
      'jc_jump_group=user:admin',
      'jc_tag=servers',
      'jc_comments=',
      'jc_name=db',
      'jc_max_offline_minutes=525600',
    ]);
    assert.equal(s.installDir, '/opt/jc');
    assert.equal(s.user, 'jsmith');
    assert.equal(s.keyInfo, 'w0dc3056g7ff8d1j68ee6wi6dhwzefgggyezh7c40jc90');
    assert.deepEqual(s.overrides, { jump_group: 'user:admin', tag: 'servers', comments: '', name: 'db', max_offline_minutes: 525600 });
    assert.equal(parseSwitches(['installdir=/x']).installDir, '/x');
    assert.equal(parseSwitches(['key_info=' + 'a'.repeat(16)]).keyInfo, 'a'.repeat(16));
  });

  it('accepts no switches at all', () => {
    assert.deepEqual(parseSwitches([]).overrides, {});
  });

  it('refuses unknown, repeated and value-less switches, naming them', () => {
    refused(['--jc-colour', 'red'], 'unknown switch: --jc-colour');
    refused(['jc_colour=red'], 'unknown switch: jc_colour');
    refused(['install_dir=/x'], 'unknown switch: install_dir');
    refused(['--installdir', '/x'], 'unknown switch: --installdir');
    refused(['stray'], 'unknown switch: stray');
    refused(['--jc-tag', 'a', 'jc_tag=b'], 'jc_tag was given more than once');
    refused(['--jc-tag'], '--jc-tag needs a value');
    refused(['--jc-tag', '--jc-name', 'x'], '--jc-tag needs a value');
  });

  it('refuses values outside the limits, naming the switch as typed', () => {
    refused(['--jc-tag', 't'.repeat(65)], '--jc-tag: must be at most 64 characters');
    refused(['jc_comments=' + 'c'.repeat(1025)], 'jc_comments: must be at most 1024 characters');
    refused(['--jc-name', ''], '--jc-name: must not be empty');
    refused(['--jc-name', 'n'.repeat(129)], '--jc-name: must be at most 128 characters');
    refused(['--jc-jump-group='], '--jc-jump-group: must not be empty');
    refused(['--jc-jump-group', 'g'.repeat(256)], '--jc-jump-group: must be at most 255 characters');
    refused(['jc_jump_group=user:'], 'jc_jump_group: needs a username after "user:"');
    refused(['--jc-max-offline-minutes', '0'], '--jc-max-offline-minutes: must be at least 1');
    refused(['--jc-max-offline-minutes', '525601'], '--jc-max-offline-minutes: must be at most 525600 (one year)');
    refused(['jc_max_offline_minutes=ten'], 'jc_max_offline_minutes: must be a whole number of minutes');
    refused(['--user', 'bad name'], '--user: is not a valid account name');
    refused(['KEY_INFO=short'], 'KEY_INFO: must be 16..128 printable characters');
    refused(['--install-dir', ''], '--install-dir: must not be empty');
    refused(['--jc-tag', 'a\nb'], '--jc-tag: must not contain control characters');
  });

  it('reads where a passive client listens, IPv4 or bracketed IPv6, and refuses anything else', () => {
    assert.deepEqual(parseSwitches(['--passive-listen', '127.0.0.1:0']).passiveListen, { host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseSwitches(['passive_listen=[::1]:5832']).passiveListen, { host: '::1', port: 5832 });
    assert.deepEqual(parseSwitches(['--passive-listen=0.0.0.0:6000']).passiveListen, { host: '0.0.0.0', port: 6000 });
    assert.equal(parseSwitches([]).passiveListen, undefined);
    const shape = 'must be ADDRESS:PORT, an IP address (IPv6 in brackets) and a port';
    refused(['--passive-listen', 'localhost:5832'], `--passive-listen: ${shape}`);
    refused(['--passive-listen', '10.0.0.1'], `--passive-listen: ${shape}`);
    refused(['--passive-listen', '::1:5832'], `--passive-listen: ${shape}`);
    refused(['--passive-listen', '999.1.1.1:5832'], `--passive-listen: ${shape}`);
    refused(['passive_listen=10.0.0.1:65536'], 'passive_listen: the port must be at most 65535');
  });

  it('refuses an override the installer does not allow, and allows the others', () => {
    const s = parseSwitches(['jc_tag=servers', '--jc-name', 'web']);
    checkOverridesAllowed(s, ALL_ALLOWED);
    assert.throws(
      () => checkOverridesAllowed(s, { ...ALL_ALLOWED, tag: false }),
      { message: 'jc_tag: this installer does not allow the tag to be overridden' },
    );
    for (const [argv, key, words] of [
      [['--jc-jump-group', 'x'], 'jump_group', 'the Jump Group'],
      [['--jc-name', 'x'], 'name', 'the name'],
      [['--jc-comments', 'x'], 'comments', 'the comments'],
      [['--jc-max-offline-minutes', '5'], 'max_offline_minutes', 'the maximum offline time'],
    ] as const) {
      assert.throws(
        () => checkOverridesAllowed(parseSwitches([...argv]), { ...ALL_ALLOWED, [key]: false }),
        { message: `${argv[0]}: this installer does not allow ${words} to be overridden` },
      );
    }
    checkOverridesAllowed(parseSwitches(['--install-dir', '/x', '--user', 'u']), { jump_group: false, name: false, tag: false, comments: false, max_offline_minutes: false });
  });
});
