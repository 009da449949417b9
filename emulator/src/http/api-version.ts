/** x-ms-version values the service accepted (.NET KnownApiVersions: 2.0 to 2.19). */
export const KNOWN_API_VERSIONS: ReadonlySet<string> = new Set(Array.from({ length: 20 }, (_, i) => `2.${i}`));
export const LATEST_API_VERSION = '2.19';

export function isKnownApiVersion(version: string): boolean {
  return KNOWN_API_VERSIONS.has(version.trim());
}
