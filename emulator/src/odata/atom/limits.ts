/**
 * Bounds on what a request body may make the XML reader do. Each is checked while parsing, so a
 * hostile body is refused after a bounded amount of work, not after it has been fully read.
 */
export interface XmlLimits {
  /** Deepest element nesting (the root is depth 1). An Atom entry with a complex collection needs 6. */
  maxDepth?: number;
  /** Elements in the whole document. */
  maxElements?: number;
  /** Attributes on one element, namespace declarations included. */
  maxAttributes?: number;
  /** Characters of text (after entity expansion) inside one element; also bounds any single token. */
  maxTextLength?: number;
}

export type ResolvedXmlLimits = Readonly<Required<XmlLimits>>;

export const DEFAULT_XML_LIMITS: ResolvedXmlLimits = Object.freeze({
  maxDepth: 32,
  maxElements: 10_000,
  maxAttributes: 64,
  // Task bodies and encoder presets run to tens of kilobytes; nothing legitimate comes near 1 Mi.
  maxTextLength: 1_048_576,
});

export function resolveXmlLimits(limits: XmlLimits | undefined): ResolvedXmlLimits {
  const resolved = { ...DEFAULT_XML_LIMITS };
  if (!limits) return resolved;
  for (const key of Object.keys(DEFAULT_XML_LIMITS) as (keyof XmlLimits)[]) {
    const value = limits[key];
    if (value === undefined) continue;
    // A misconfigured limit is the emulator's bug, not the client's: fail loudly, never as a 400.
    if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`XML limit ${key} must be a positive integer, got ${String(value)}`);
    resolved[key] = value;
  }
  return resolved;
}
