/**
 * The installer file as an HTTP answer, shared by the authenticated download and the public link:
 * the installer's settings (with the appliance's address and pinned certificate) in the header, the
 * agent program as the shared payload, streamed.
 */
import { dirname, join } from 'node:path';
import * as v from 'valibot';
import { createInstallerFiles, INSTALLER_PLATFORMS, type InstallerFiles, type InstallerPlatform } from '../../installer/index.ts';
import type { Installer, Registry } from '../../registry/index.ts';
import { AppError } from '../../shared/errors.ts';
import type { InstallerConfig } from '../../shared/installer-config.ts';
import type { AgentArtifact, ApiDeps } from '../index.ts';
import { parseInput } from '../validate.ts';

const Platform = v.picklist(INSTALLER_PLATFORMS, `must be one of ${INSTALLER_PLATFORMS.join(', ')}`);

/** The platform path segment, or a 400 naming `platform`. */
export function parsePlatform(value: string | undefined): InstallerPlatform {
  return parseInput(Platform, value ?? '', 'platform');
}

export interface DownloadOptions {
  /**
   * PEM of the appliance certificate, pinned by the agent. Until `ApiDeps` carries it
   * (`tlsCertificatePem`), it is read from there when present, else null (the fingerprint still pins).
   */
  certificatePem?: () => string | null;
}

export interface InstallerDownloads {
  /** `host`: the request's Host header (the address agents will be told when no public URL is set). */
  respond(row: Installer, platform: InstallerPlatform, host: string | undefined): Promise<Response>;
}

/** How the installer names its default group to the person installing (and to `--jc-jump-group`). */
function groupLabel(registry: Registry, row: Installer): string {
  if (row.jump_group_type === 'personal') {
    const user = registry.users.get(row.jump_group_id);
    return user ? `user:${user.username}` : '';
  }
  return registry.groups.get(row.jump_group_id)?.code_name ?? '';
}

function configFor(deps: ApiDeps, row: Installer, artifact: AgentArtifact, pem: string | null, host: string | undefined): InstallerConfig {
  return {
    format: 1,
    installer_id: row.installer_id,
    appliance_url: deps.publicUrlFor(host),
    certificate_pem: pem,
    certificate_sha256: deps.tlsFingerprint,
    installer_key: row.key_info,
    expiration_timestamp: row.expiration_timestamp,
    install_mode: row.install_mode,
    connection_type: row.connection_type,
    jump_group: groupLabel(deps.registry, row),
    name: row.name,
    tag: row.tag,
    comments: row.comments,
    max_offline_minutes: row.max_offline_minutes,
    allow_override: {
      jump_group: row.allow_override_jump_group,
      name: row.allow_override_name,
      tag: row.allow_override_tag,
      comments: row.allow_override_comments,
      max_offline_minutes: row.allow_override_max_offline_minutes,
    },
    agent_version: artifact.version,
  };
}

/** One payload cache per API (both route groups share it), in `<data dir>/cache/installers`. */
const byDeps = new WeakMap<ApiDeps, InstallerFiles>();
function filesFor(deps: ApiDeps): InstallerFiles {
  let files = byDeps.get(deps);
  if (!files) {
    files = createInstallerFiles({ cacheDir: join(dirname(deps.registry.path), 'cache', 'installers') });
    byDeps.set(deps, files);
  }
  return files;
}

export function createInstallerDownloads(deps: ApiDeps, options: DownloadOptions = {}): InstallerDownloads {
  const pem = options.certificatePem ?? (() => deps.tlsCertificatePem);
  return {
    async respond(row, platform, host) {
      const artifact = deps.agentArtifact();
      if (!artifact || artifact.platform !== platform) {
        throw new AppError('not_found', { message: `No Jump Client program is available for ${platform} yet.`, details: { field: 'platform' } });
      }
      const file = await filesFor(deps).build(platform, configFor(deps, row, artifact, pem(), host), artifact);
      return new Response(file.body, {
        status: 200,
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(file.size),
          'content-disposition': `attachment; filename="${file.fileName}"`,
          'cache-control': 'no-store',
        },
      });
    },
  };
}
