/**
 * Whether `@azure/storage-blob` sends requests for `url` through a proxy taken from the environment
 * (HTTPS_PROXY, ALL_PROXY or HTTP_PROXY, upper or lower case, unless NO_PROXY names the host), by
 * the rules of its proxy policy (@typespec/ts-http-runtime). A reader that does its own HTTP must
 * not read around a proxy the SDK would use: the network may only allow the proxy.
 */
export function sdkUsesProxyFor(url: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const value = (name: string): string | undefined => env[name] || env[name.toLowerCase()] || undefined;
  if (!(value('HTTPS_PROXY') || value('ALL_PROXY') || value('HTTP_PROXY'))) return false;
  const host = new URL(url).hostname;
  const patterns = (value('NO_PROXY') ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  // `.foo.com` matches foo.com and its subdomains; anything else only the same host.
  const bypassed = patterns.some((pattern) => (pattern.startsWith('.') ? host.endsWith(pattern) || host === pattern.slice(1) : host === pattern));
  return !bypassed;
}
