/**
 * What a Linux installer file carries for the Jump Client it installs: the appliance's address and
 * pinned certificate, the installer key, and the installer's default properties with which of them
 * the command line may override. The appliance writes it into the `.bin` header (base64 JSON in
 * `JUMPGATE_INSTALLER_CONFIG_B64`); the agent's `install` command reads and validates it.
 */
import * as v from 'valibot';

export const INSTALLER_CONFIG_ENV = 'JUMPGATE_INSTALLER_CONFIG_B64';

export const InstallerConfig = v.strictObject({
  format: v.literal(1),
  installer_id: v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/)),
  appliance_url: v.pipe(v.string(), v.url(), v.regex(/^https?:\/\//)),
  /** PEM of the appliance certificate, pinned by the agent; null over plain HTTP. */
  certificate_pem: v.nullable(v.pipe(v.string(), v.maxLength(16 * 1024))),
  certificate_sha256: v.nullable(v.pipe(v.string(), v.regex(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/))),
  installer_key: v.pipe(v.string(), v.minLength(16), v.maxLength(128)),
  expiration_timestamp: v.pipe(v.number(), v.integer()),
  install_mode: v.picklist(['service', 'user']),
  connection_type: v.picklist(['active', 'passive']),
  /** Defaults shown to the person installing; the appliance applies them at enrolment. */
  jump_group: v.pipe(v.string(), v.maxLength(255)),
  name: v.pipe(v.string(), v.maxLength(128)),
  tag: v.pipe(v.string(), v.maxLength(64)),
  comments: v.pipe(v.string(), v.maxLength(1024)),
  max_offline_minutes: v.nullable(v.pipe(v.number(), v.integer())),
  allow_override: v.strictObject({
    jump_group: v.boolean(),
    name: v.boolean(),
    tag: v.boolean(),
    comments: v.boolean(),
    max_offline_minutes: v.boolean(),
  }),
  agent_version: v.pipe(v.string(), v.maxLength(32)),
});
export type InstallerConfig = v.InferOutput<typeof InstallerConfig>;

export function encodeInstallerConfig(config: InstallerConfig): string {
  return Buffer.from(JSON.stringify(config)).toString('base64');
}

export function decodeInstallerConfig(b64: string): InstallerConfig {
  return v.parse(InstallerConfig, JSON.parse(Buffer.from(b64, 'base64').toString('utf8')));
}
