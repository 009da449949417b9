/** What a finding rule is: the one shape every rule list (domain/rules.ts) is made of. */
export type Severity = 'error' | 'warning' | 'info';

export interface RuleDef {
  id: string;
  severity: Severity;
  /** Which of the three guarantees (or other area) the rule belongs to, for reports. */
  area: 'checksum' | 'rsa-oaep-unwrapping' | 'iv-uniqueness' | 'counter' | 'content' | 'protocol';
  title: string;
  /** What the rule checks and why the service or the SDKs care. */
  description: string;
  /** What a client author should change. */
  fix: string;
  /**
   * What a finding of this rule rests on. An error needs positive evidence (a digest that does not
   * match, a named mistake that explains the bytes, a length that disagrees with a complete blob,
   * an impossible value); without it the emulator says what it could not check, as a warning.
   */
  evidence: string;
  /** Whether `--strict` refuses the request that trips it (compat mode only records it). */
  strictRefuses: boolean;
}
