/**
 * Installer files (SPEC D1, D2): what the appliance hands out for a Jump Client installer. Today the
 * Linux x86-64 `.bin`; other platforms join here. A file is streamed: the per-installer header, then
 * the shared payload built once per agent build.
 */
import type { InstallerConfig } from '../shared/installer-config.ts';
import { linuxInstallerFileName, linuxInstallerHeader } from './linux.ts';
import { createPayloadCache, type PayloadSource } from './payload-cache.ts';
import { streamParts } from './stream.ts';

export { AGENT_FILE_NAME, createPayloadCache, type Payload, type PayloadCache, type PayloadSource } from './payload-cache.ts';
export { linuxInstallerFileName, linuxInstallerHeader } from './linux.ts';
export { streamFile, streamParts } from './stream.ts';
export { ustarHeader, tarTrailer, writeTarGz } from './tar.ts';

export const INSTALLER_PLATFORMS = ['linux-64'] as const;
export type InstallerPlatform = (typeof INSTALLER_PLATFORMS)[number];

export interface InstallerFile {
  fileName: string;
  size: number;
  body: ReadableStream<Uint8Array>;
}

export interface InstallerFiles {
  /** The installer file for `platform`, carrying `config` and the agent program `agent`. */
  build(platform: InstallerPlatform, config: InstallerConfig, agent: PayloadSource): Promise<InstallerFile>;
}

export interface InstallerFilesOptions {
  /** Where payloads are cached (one per agent build). */
  cacheDir: string;
}

export function createInstallerFiles(options: InstallerFilesOptions): InstallerFiles {
  const payloads = createPayloadCache(options.cacheDir);
  return {
    async build(_platform, config, agent) {
      const header = linuxInstallerHeader(config, agent.sha256);
      const payload = await payloads.get(agent);
      return {
        fileName: linuxInstallerFileName(config.installer_id),
        size: header.length + payload.size,
        body: streamParts([header, { path: payload.file }]),
      };
    },
  };
}
