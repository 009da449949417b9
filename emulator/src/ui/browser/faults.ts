import { emulatorSend, list, str, watch, type Obj } from './api.js';
import { h, replace, viewBody } from './dom.js';

/** Fault-injection rules: list (with how often each matched and fired), add, remove. */
export class FaultsView {
  private readonly rows = h('tbody');
  private readonly error = h('p', { class: 'error-text', role: 'alert' });
  private readonly fields = {
    entity: h('input', { id: 'fault-entity', placeholder: 'Assets', size: 12 }),
    method: h('select', { id: 'fault-method' }, ...['', 'GET', 'POST', 'MERGE', 'DELETE'].map((m) => h('option', { value: m }, m || 'any'))),
    path: h('input', { id: 'fault-path', placeholder: 'path contains', size: 14 }),
    status: h('input', { id: 'fault-status', type: 'number', min: 200, max: 599, value: 503, size: 5 }),
    count: h('input', { id: 'fault-count', type: 'number', min: 1, placeholder: 'unlimited', size: 8 }),
    probability: h('input', { id: 'fault-probability', type: 'number', min: 0, max: 1, step: 0.1, value: 1, size: 4 }),
    latencyMs: h('input', { id: 'fault-latency', type: 'number', min: 0, placeholder: '0', size: 6 }),
  };

  constructor() {
    const f = this.fields;
    const label = (text: string, input: HTMLElement) => h('label', {}, `${text} `, input);
    const form = h('form', { class: 'toolbar card', id: 'fault-form', 'aria-label': 'Add a fault rule' },
      label('Entity', f.entity), label('Method', f.method), label('Path', f.path), label('Status', f.status), label('Count', f.count), label('Probability', f.probability), label('Latency ms', f.latencyMs),
      h('button', { type: 'submit', class: 'primary', id: 'fault-add' }, 'Add rule'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.add();
    });
    replace(
      viewBody('faults'),
      h('p', { class: 'muted' }, 'A matching /api request is answered with the status and an OData error, or delayed; a faulted request changes nothing.'),
      form,
      this.error,
      h('table', { id: 'fault-rules' }, h('thead', {}, h('tr', {}, ...['id', 'entity', 'method', 'path', 'status', 'left', 'probability', 'latency', 'matched', 'fired', ''].map((c) => h('th', { scope: 'col' }, c)))), this.rows),
      h('div', { class: 'toolbar' }, h('button', { type: 'button', class: 'danger', onclick: () => void this.send('DELETE', 'faults') }, 'Remove all')),
    );
  }

  async load(): Promise<void> {
    const rules = list((await watch('faults'))['faults']);
    replace(
      this.rows,
      ...rules.map((r) =>
        h('tr', { 'data-fault': str(r['id']) },
          ...['id', 'entity', 'method', 'path', 'status', 'remaining', 'probability', 'latencyMs', 'matched', 'applied'].map((k) => h('td', { class: k === 'id' || k === 'path' ? 'mono' : '' }, str(r[k]))),
          h('td', {}, h('button', { type: 'button', class: 'danger', 'aria-label': `Remove fault ${str(r['id'])}`, onclick: () => void this.send('DELETE', `faults/${encodeURIComponent(str(r['id']))}`) }, 'Remove'))),
      ),
    );
    if (rules.length === 0) replace(this.rows, h('tr', {}, h('td', { colspan: 11, class: 'muted' }, 'No fault rules.')));
  }

  private async add(): Promise<void> {
    const f = this.fields;
    const rule: Obj = {};
    if (f.entity.value.trim()) rule['entity'] = f.entity.value.trim();
    if (f.method.value) rule['method'] = f.method.value;
    if (f.path.value.trim()) rule['path'] = f.path.value.trim();
    if (f.status.value) rule['status'] = Number(f.status.value);
    if (f.count.value) rule['count'] = Number(f.count.value);
    if (f.probability.value) rule['probability'] = Number(f.probability.value);
    if (f.latencyMs.value) rule['latencyMs'] = Number(f.latencyMs.value);
    await this.send('POST', 'faults', rule);
  }

  private async send(method: 'POST' | 'DELETE', path: string, body?: Obj): Promise<void> {
    try {
      await emulatorSend(method, path, body);
      this.error.textContent = '';
    } catch (err) {
      // The emulator's own message says what is wrong with the rule.
      this.error.textContent = (err as Error).message;
    }
    await this.load();
  }
}
