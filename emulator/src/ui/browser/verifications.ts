import { list, str, type Obj } from './api.js';
import { badge, formatBytes, h, hexDump, replace, viewBody } from './dom.js';

const PAGE = 20;
/** Failed first, then what could not be checked, then the rest. */
const ORDER: Record<string, number> = { failed: 0, unverifiable: 1, pending: 2, skipped: 3, verified: 4 };

/**
 * Every file's verification as a card: the checks as badges, and for one that did not verify the
 * evidence drawn: the first clear bytes beside the declared signature, the mistakes tried (the one
 * that explains the bytes highlighted), and a bar of the blob's right and wrong byte ranges.
 */
export class VerificationsView {
  private readonly status = h('select', { id: 'verification-status', 'aria-label': 'Show verifications with status' }, ...['', 'failed', 'unverifiable', 'verified', 'pending', 'skipped'].map((s) => h('option', { value: s }, s || 'any status')));
  private readonly cards = h('div', { class: 'cards', id: 'verification-cards' });
  private readonly pager = h('div', { class: 'pager' });
  private all: Obj[] = [];
  private page = 0;
  private last = '';

  constructor() {
    this.status.addEventListener('change', () => {
      this.page = 0;
      this.draw();
    });
    replace(viewBody('verifications'), h('div', { class: 'toolbar' }, h('label', {}, 'Status ', this.status), h('span', { class: 'spacer' }), h('span', { class: 'muted', id: 'verification-pending' })), this.cards, this.pager);
  }

  render(verifications: Obj): void {
    const pending = document.getElementById('verification-pending');
    if (pending) pending.textContent = `${str(verifications['pending'])} pending`;
    const key = JSON.stringify(verifications['verifications']);
    if (key === this.last) return;
    this.last = key;
    this.all = list(verifications['verifications']).sort((a, b) => (ORDER[str(a['status'])] ?? 9) - (ORDER[str(b['status'])] ?? 9) || str(b['updated']).localeCompare(str(a['updated'])));
    this.draw();
  }

  /** The verification of a file, for the account browser. */
  statusOf(fileId: string): string | undefined {
    const v = this.all.find((x) => str(x['fileId']).toLowerCase() === fileId.toLowerCase());
    return v ? str(v['status']) : undefined;
  }

  private draw(): void {
    const wanted = this.status.value;
    const shown = this.all.filter((v) => !wanted || v['status'] === wanted);
    const pages = Math.max(1, Math.ceil(shown.length / PAGE));
    this.page = Math.min(this.page, pages - 1);
    replace(this.cards, ...(shown.length === 0 ? [h('p', { class: 'muted' }, 'No verifications yet: upload a file and MERGE its ContentFileSize.')] : shown.slice(this.page * PAGE, (this.page + 1) * PAGE).map(card)));
    const go = (page: number) => () => {
      this.page = page;
      this.draw();
    };
    replace(
      this.pager,
      h('button', { type: 'button', disabled: this.page === 0, onclick: go(this.page - 1) }, '‹ Previous'),
      h('span', {}, `page ${this.page + 1} of ${pages} (${shown.length})`),
      h('button', { type: 'button', disabled: this.page >= pages - 1, onclick: go(this.page + 1) }, 'Next ›'),
    );
  }
}

function card(v: Obj): HTMLElement {
  const status = str(v['status']);
  const checks = list(v['checks']);
  const diagnosis = (v['diagnosis'] ?? null) as Obj | null;
  const deleted = v['deleted'] ? badge('deleted', 'skipped') : null;
  const basis = v['basis'] ? h('span', { class: 'muted' }, `basis ${str(v['basis'])}`) : null;
  return h(
    'article',
    { class: `card vcard ${status}`, 'data-file-id': str(v['fileId']), 'data-status': status },
    h('h4', {}, badge(status), h('span', {}, str(v['fileName']) || str(v['fileId'])), deleted, basis),
    h('div', { class: 'muted mono' }, str(v['fileId']), v['assetId'] ? ` in ${str(v['assetId'])}` : ''),
    h('p', {}, str(v['reason'])),
    h('div', { class: 'checks' }, ...checks.map((c) => h('span', { title: str(c['detail']) }, badge(`${str(c['name'])}: ${str(c['status'])}`, str(c['status']))))),
    status === 'failed' || status === 'unverifiable' || (diagnosis && diagnosis['id'] !== 'unexplained') ? evidence(v, diagnosis) : null,
  );
}

function evidence(v: Obj, diagnosis: Obj | null): HTMLElement {
  const clear = (v['clear'] ?? null) as Obj | null;
  const declared = (v['declared'] ?? null) as Obj | null;
  const explains = diagnosis && diagnosis['id'] !== 'unexplained' ? str(diagnosis['id']) : undefined;
  const left = h(
    'div',
    { class: 'evidence-bytes' },
    h('strong', {}, `First ${clear?.['head'] ? str(clear['head']).length / 2 : 0} clear bytes`),
    h('span', { class: 'muted' }, ' (decrypted with the file\'s key and IV)'),
    h('pre', { class: 'hex', 'data-evidence': 'head' }, clear?.['head'] ? hexDump(str(clear['head'])) : '(not decrypted)'),
    h('div', {}, 'Expected: ', h('strong', { 'data-evidence': 'signature' }, declared ? (declared['signature'] === null ? `nothing to check (${str(declared['label'])})` : str(declared['signature'])) : 'unknown'), declared ? h('span', { class: 'muted' }, ` — ${str(declared['label'])}`) : null),
    explains && diagnosis?.['head'] ? h('div', {}, h('strong', {}, `Decrypted as ${explains}`), h('pre', { class: 'hex', 'data-evidence': 'explained-head' }, hexDump(str(diagnosis['head'])))) : null,
  );
  const right = h('div', { class: 'evidence-diagnosis' });
  if (diagnosis) {
    const tried = list(diagnosis['hypotheses']);
    replace(
      right,
      h('strong', {}, explains ? `Diagnosis: ${explains}` : 'No known mistake explains the bytes'),
      h('span', { class: 'muted' }, ` (evidence ${str(diagnosis['evidence'])}, ${str(diagnosis['scope'])}; ${str(diagnosis['tried'])} tried)`),
      h('p', {}, str(diagnosis['message'])),
      tried.length > 0
        ? h(
            'ul',
            { class: 'hypotheses', 'aria-label': 'Mistakes tried' },
            ...tried.map((t) => {
              const hit = str(t['mistake']) === explains;
              return h('li', { class: hit ? 'explains' : '', 'aria-current': hit ? 'true' : null }, `${hit ? '✔ ' : '  '}${str(t['mistake'])}`, h('span', { class: 'muted' }, ` first bytes ${str(t['firstBytes'])}`));
            }),
          )
        : null,
      byteBar(list(diagnosis['byteRanges']), clear ? Number(clear['bytes']) : undefined),
    );
  }
  return h('div', { class: 'evidence' }, left, right);
}

/** The stored blob end to end: green where the file's own key and IV decrypt it right, red where not. */
function byteBar(ranges: Obj[], total: number | undefined): HTMLElement | null {
  if (ranges.length === 0) return null;
  const size = total || ranges.reduce((n, r) => n + Number(r['count']), 0);
  const bar = h('div', { class: 'bar', role: 'img', 'aria-label': ranges.map((r) => `${formatBytes(Number(r['offset']))}+${formatBytes(Number(r['count']))} ${r['ok'] ? 'right' : 'wrong'}`).join(', ') });
  for (const r of ranges) {
    const segment = h('span', { class: r['ok'] ? 'good' : 'wrong', title: `bytes ${str(r['offset'])}–${Number(r['offset']) + Number(r['count']) - 1}: ${r['ok'] ? 'decrypt right' : 'decrypt wrong'}` });
    segment.style.width = `${(Number(r['count']) / size) * 100}%`;
    bar.append(segment);
  }
  return h('div', { 'data-evidence': 'byte-ranges' }, h('strong', {}, 'Blob by byte range'), ' ', h('span', { class: 'legend' }, 'green: decrypts right, red: wrong'), bar);
}
