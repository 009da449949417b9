import { list, str, type Obj } from './api.js';
import { h, replace, time, viewBody } from './dom.js';

/**
 * Health, mode, storage, versions, counts per entity set, and the live request log (newest first,
 * errors highlighted, filterable by client).
 */
export class OverviewView {
  private readonly facts = h('dl', { class: 'facts' });
  private readonly counts = h('div', { class: 'grid', id: 'counts' });
  private readonly filter = h('select', { id: 'request-client', 'aria-label': 'Show requests of client' }, h('option', { value: '' }, 'all clients'));
  private readonly errorsOnly = h('input', { type: 'checkbox', id: 'request-errors' });
  private readonly rows = h('tbody');
  private requests: Obj[] = [];

  constructor() {
    this.filter.addEventListener('change', () => this.renderRequests());
    this.errorsOnly.addEventListener('change', () => this.renderRequests());
    replace(
      viewBody('overview'),
      h('div', { class: 'split' }, h('div', {}, h('h3', {}, 'Entities'), this.counts), h('div', {}, h('h3', {}, 'Emulator'), h('div', { class: 'card' }, this.facts))),
      h('h3', {}, 'Requests'),
      h('div', { class: 'toolbar' }, h('label', {}, 'Client ', this.filter), h('label', {}, this.errorsOnly, ' errors only'), h('span', { class: 'spacer' }), h('span', { class: 'muted', id: 'request-total' })),
      h('table', { id: 'requests' }, h('thead', {}, h('tr', {}, ...['time', 'method', 'path', 'status', 'ms', 'client', 'request id'].map((c) => h('th', { scope: 'col' }, c)))), this.rows),
    );
  }

  render(health: Obj, summary: Obj, requests: Obj, location: string): void {
    const versions = (health['versions'] ?? {}) as Obj;
    const storage = versions['azurite'] ? `embedded Azurite ${str(versions['azurite'])}` : 'a storage account given by connection string';
    const rows: Array<[string, string]> = [
      ['health', `${str(health['status'])}, storage ${str(health['storage'] ?? health['store'] ?? '')}`],
      ['mode', `${health['strict'] === true ? 'strict' : 'compat'}, auth ${str(health['auth'])}`],
      ['storage', storage],
      ['emulator', str(versions['emulator'])],
      ['API version', str(versions['api'])],
      ['data', location === 'memory' || !location ? 'in memory' : location],
    ];
    replace(this.facts, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
    const counts = (summary['counts'] ?? {}) as Obj;
    const stats: Array<[string, Json]> = [...Object.entries(counts), ['Findings', summary['findings'] ?? 0], ['Verifications', summary['verifications'] ?? 0]];
    replace(this.counts, ...stats.map(([name, n]) => h('div', { class: 'card stat', 'data-count': name }, h('div', { class: 'n' }, str(n)), h('div', { class: 'l' }, name.replace(/([a-z])([A-Z])/g, '$1 $2')))));
    this.requests = list(requests['requests']).reverse();
    const total = document.getElementById('request-total');
    if (total) total.textContent = `${this.requests.length} shown of ${str(requests['total'])} since start (the last ${str(requests['capacity'])} are kept)`;
    this.updateClients();
    this.renderRequests();
  }

  /** Show one request (a finding links to it): scroll to it and mark it for a moment. */
  reveal(requestId: string): boolean {
    this.filter.value = '';
    this.errorsOnly.checked = false;
    this.renderRequests();
    const row = document.getElementById(`req-${requestId}`);
    if (!row) return false;
    row.classList.add('flash');
    row.scrollIntoView({ block: 'center' });
    row.focus();
    setTimeout(() => row.classList.remove('flash'), 2500);
    return true;
  }

  private updateClients(): void {
    const clients = [...new Set(this.requests.map((r) => str(r['client'])))].sort();
    const have = [...this.filter.options].map((o) => o.value).slice(1);
    if (have.join('\n') === clients.join('\n')) return;
    const selected = this.filter.value;
    replace(this.filter, h('option', { value: '' }, 'all clients'), ...clients.map((c) => h('option', { value: c }, c || '(no User-Agent)')));
    this.filter.value = clients.includes(selected) ? selected : '';
  }

  private renderRequests(): void {
    const client = this.filter.value;
    const shown = this.requests.filter((r) => (!client || str(r['client']) === client) && (!this.errorsOnly.checked || Number(r['status']) >= 400));
    replace(
      this.rows,
      ...shown.map((r) =>
        h(
          'tr',
          { id: `req-${str(r['requestId'])}`, class: Number(r['status']) >= 400 ? 'err' : '', tabindex: -1 },
          h('td', {}, time(str(r['time']))),
          h('td', {}, str(r['method'])),
          // A ranged request (a player seeking) says where it went when the path is hovered.
          h('td', { class: 'mono', ...(r['range'] ? { title: `Range: ${str(r['range'])}` } : {}) }, str(r['path'])),
          h('td', {}, str(r['status'])),
          h('td', {}, str(r['latencyMs'])),
          h('td', { class: 'mono clip', title: str(r['client']) }, str(r['client'])),
          h('td', { class: 'mono' }, str(r['requestId'])),
        ),
      ),
    );
  }
}

type Json = Obj[string];
