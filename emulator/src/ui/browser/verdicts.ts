import { emulatorSend, list, str, type Obj } from './api.js';
import { badge, h, replace, viewBody } from './dom.js';

/** What validate-client counts (README "Validate your own client"), for the account as it stands. */
export interface Coverage {
  encrypted: number;
  clear: number;
  verified: number;
  typeChecked: number;
  unverifiable: number;
  failed: number;
  notVerified: number;
}

/**
 * validate-client's rule, applied to the account: FAIL when any finding is an error or any file
 * failed decrypt verification; a PASS says what it rests on. (The kit's own code is not imported:
 * nothing outside conformance/ may import it; the rule is the README's.)
 */
export function accountVerdict(findings: readonly Obj[], verifications: readonly Obj[]): { pass: boolean; text: string; coverage: Coverage } {
  const coverage: Coverage = { encrypted: 0, clear: 0, verified: 0, typeChecked: 0, unverifiable: 0, failed: 0, notVerified: 0 };
  let encryptedChecked = 0;
  for (const v of verifications) {
    if (v['encrypted'] === true) coverage.encrypted++;
    else if (v['encrypted'] === false) coverage.clear++;
    if (v['status'] === 'verified') {
      if (v['basis'] === 'signature' || v['basis'] === 'signature-prefix') coverage.typeChecked++;
      else coverage.verified++;
      if (v['encrypted'] === true) encryptedChecked++;
    } else if (v['status'] === 'unverifiable') coverage.unverifiable++;
    else if (v['status'] === 'failed') coverage.failed++;
    else coverage.notVerified++;
  }
  const errors = findings.filter((f) => f['severity'] === 'error');
  const problems: string[] = [];
  if (errors.length > 0) problems.push(`${errors.length} error finding${errors.length === 1 ? '' : 's'} (${[...new Set(errors.map((f) => str(f['rule'])))].join(', ')})`);
  if (coverage.failed > 0) problems.push(`${coverage.failed} file${coverage.failed === 1 ? '' : 's'} failed decrypt verification`);
  if (problems.length > 0) return { pass: false, text: `FAIL: ${problems.join('; ')}`, coverage };
  if (coverage.encrypted === 0) return { pass: true, text: 'PASS, but no storage-encrypted upload was observed: nothing about encryption was validated', coverage };
  if (encryptedChecked === 0) return { pass: true, text: `PASS, but none of the ${coverage.encrypted} storage-encrypted uploads could be verified: send ContentChecksum`, coverage };
  return { pass: true, text: 'PASS: storage encryption as the reference client does it, as far as the uploads show', coverage };
}

type Grouping = 'rule' | 'client';

/** Findings grouped by rule or by client, the verdict, clear and export. */
export class VerdictsView {
  private readonly verdict = h('div', { id: 'verdict', class: 'verdict', role: 'status' });
  private readonly groups = h('div', { id: 'findings' });
  private readonly grouping = h('select', { id: 'finding-grouping', 'aria-label': 'Group findings by' }, h('option', { value: 'rule' }, 'by rule'), h('option', { value: 'client' }, 'by client'));
  private findings: Obj[] = [];
  private last = '';

  constructor(private readonly showRequest: (requestId: string) => void, private readonly refresh: () => void) {
    this.grouping.addEventListener('change', () => this.renderFindings());
    const exportLink = h('a', { href: '#verdicts', id: 'export-findings' }, 'Export JSON');
    exportLink.addEventListener('click', (event) => {
      event.preventDefault();
      const blob = new Blob([JSON.stringify({ findings: this.findings }, null, 2)], { type: 'application/json' });
      const a = h('a', { href: URL.createObjectURL(blob), download: 'findings.json' });
      a.click();
      URL.revokeObjectURL(a.href);
    });
    const clear = h('button', { class: 'danger', id: 'clear-findings', type: 'button' }, 'Clear findings');
    clear.addEventListener('click', async () => {
      await emulatorSend('DELETE', 'findings');
      this.refresh();
    });
    replace(
      viewBody('verdicts'),
      this.verdict,
      h('div', { class: 'toolbar' }, h('label', {}, 'Group ', this.grouping), h('span', { class: 'spacer' }), exportLink, h('a', { href: '/_emulator/findings?format=text', target: '_blank' }, 'Text report'), clear),
      this.groups,
    );
  }

  render(findings: Obj, verifications: Obj): void {
    const key = JSON.stringify([findings, verifications['verifications']]);
    if (key === this.last) return;
    this.last = key;
    this.findings = list(findings['findings']);
    const verdict = accountVerdict(this.findings, list(verifications['verifications']));
    const c = verdict.coverage;
    this.verdict.className = `verdict ${verdict.pass ? 'pass' : 'fail'}`;
    replace(
      this.verdict,
      h('div', {}, verdict.text),
      h('div', { class: 'counts' }, `${c.encrypted} storage-encrypted, ${c.clear} clear; ${c.verified} verified by digest, ${c.typeChecked} type-checked only, ${c.unverifiable} unverifiable, ${c.failed} failed, ${c.notVerified} not verified; ${this.findings.length} finding${this.findings.length === 1 ? '' : 's'}`),
    );
    this.renderFindings();
  }

  private renderFindings(): void {
    const by = this.grouping.value as Grouping;
    const groups = new Map<string, Obj[]>();
    for (const f of this.findings) {
      const name = by === 'rule' ? str(f['rule']) : str(f['client']) || '(no User-Agent)';
      groups.set(name, [...(groups.get(name) ?? []), f]);
    }
    if (groups.size === 0) {
      replace(this.groups, h('p', { class: 'muted' }, 'No findings: every request matched the reference client.'));
      return;
    }
    replace(
      this.groups,
      ...[...groups].map(([name, items]) => h('section', { class: 'group' }, h('h3', {}, name, ' ', h('span', { class: 'muted' }, `(${items.length})`)), h('div', { class: 'cards' }, ...items.map((f) => this.card(f))))),
    );
  }

  private card(f: Obj): HTMLElement {
    const requestId = str(f['requestId']);
    const link = requestId
      ? h('a', { href: `#overview`, class: 'mono' }, `${str(f['method'])} ${str(f['path'])}`)
      : null;
    link?.addEventListener('click', (event) => {
      event.preventDefault();
      this.showRequest(requestId);
    });
    const diagnosis = str(f['diagnosis']);
    return h(
      'article',
      { class: `card finding ${str(f['severity'])}`, 'data-rule': str(f['rule']) },
      h('div', {}, badge(str(f['severity'])), h('strong', {}, str(f['rule'])), diagnosis ? h('span', {}, ' diagnosis ', h('code', {}, diagnosis)) : null),
      h('p', { class: 'msg' }, str(f['message'])),
      h('div', { class: 'muted' }, f['entityId'] ? h('span', { class: 'mono' }, str(f['entityId']), ' ') : null, link ? h('span', {}, 'request ', link) : null, f['client'] ? h('span', {}, ' from ', h('span', { class: 'mono' }, str(f['client']))) : null),
    );
  }
}
