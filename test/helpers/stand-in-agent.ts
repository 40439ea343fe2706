/**
 * A stand-in for the Jump Client program, for tests of installers and updates: a small shell script
 * that prints its arguments and the decoded installer settings, and exits with `$STANDIN_EXIT`.
 */
import { createHash } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentArtifact } from '../../src/api/index.ts';

export const STAND_IN_SCRIPT = `#!/bin/sh
printf 'argc=%s\\n' "$#"
for a in "$@"; do printf 'arg=[%s]\\n' "$a"; done
printf 'config=%s\\n' "$(printf '%s' "$JUMPGATE_INSTALLER_CONFIG_B64" | base64 -d)"
exit "\${STANDIN_EXIT:-0}"
`;

/** Writes the stand-in (plus `extra` bytes, to make another build) into `dir` and describes it. */
export function writeStandInAgent(dir: string, extra = '', version = '0.1.0'): AgentArtifact {
  const content = STAND_IN_SCRIPT + extra;
  const file = join(dir, `stand-in-agent-${createHash('sha256').update(content).digest('hex').slice(0, 8)}`);
  writeFileSync(file, content);
  chmodSync(file, 0o755);
  return {
    version,
    platform: 'linux-64',
    file,
    sha256: createHash('sha256').update(content).digest('hex'),
    size: Buffer.byteLength(content),
  };
}
