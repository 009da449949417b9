import { api, entity, list, str, watch, type Obj } from './api.js';
import { badge, copyText, dateTime, formatBytes, h, replace, time, viewBody } from './dom.js';

const PAGE = 25;
const JOB_STATES = ['Queued', 'Scheduled', 'Processing', 'Finished', 'Error', 'Canceled', 'Canceling'];
const LOCATOR_TYPES: Record<string, string> = { '1': 'SAS', '2': 'OnDemandOrigin' };

interface EntitySet {
  set: string;
  label: string;
  columns: Array<[string, (e: Obj) => string | Node]>;
  open?: (e: Obj) => Promise<void>;
}

/** Status of a file's verification and findings about an entity, from the views that poll them. */
export interface AccountContext {
  verificationOf(fileId: string): string | undefined;
  findingsAbout(entityId: string): Obj[];
}

/**
 * The account through /api, a page at a time ($top/$skip with $inlinecount, so 10,000 assets are
 * as quick as 10): assets with their files, keys and locators; content keys; access policies;
 * locators; jobs with their tasks. A media file plays from an OnDemandOrigin locator.
 */
export class AccountView {
  private readonly sets: EntitySet[];
  private current: EntitySet;
  private skip = 0;
  private readonly table = h('div', { id: 'account-table' });
  private readonly pager = h('div', { class: 'pager', id: 'account-pager' });
  private readonly detail = h('div', { id: 'account-detail' });
  private readonly switcher = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Entity sets' });

  constructor(private readonly context: AccountContext) {
    const mono = (name: string) => (e: Obj) => h('span', { class: 'mono' }, str(e[name]));
    this.sets = [
      { set: 'Assets', label: 'Assets', columns: [['Name', (e) => str(e['Name'])], ['Id', mono('Id')], ['Options', (e) => (e['Options'] === 1 ? 'StorageEncrypted' : str(e['Options']))], ['Created', (e) => dateTime(str(e['Created']))]], open: (e) => this.openAsset(e) },
      { set: 'ContentKeys', label: 'Content keys', columns: [['Id', mono('Id')], ['Type', (e) => str(e['ContentKeyType'])], ['Checksum', mono('Checksum')], ['Status', (e) => this.keyStatus(e)]], open: (e) => this.openKey(e) },
      { set: 'AccessPolicies', label: 'Access policies', columns: [['Name', (e) => str(e['Name'])], ['Id', mono('Id')], ['Minutes', (e) => str(e['DurationInMinutes'])], ['Permissions', (e) => str(e['Permissions'])]] },
      { set: 'Locators', label: 'Locators', columns: [['Id', mono('Id')], ['Type', (e) => LOCATOR_TYPES[str(e['Type'])] ?? str(e['Type'])], ['Asset', mono('AssetId')], ['Path', (e) => copyable(str(e['Path']))]] },
      { set: 'Jobs', label: 'Jobs', columns: [['Name', (e) => str(e['Name'])], ['State', (e) => jobState(e['State'])], ['Timeline', (e) => timeline(e)], ['Id', mono('Id')]], open: (e) => this.openJob(e) },
    ];
    this.current = this.sets[0]!;
    replace(this.switcher, ...this.sets.map((s) => h('button', { type: 'button', 'data-set': s.set, onclick: () => void this.show(s) }, s.label)));
    replace(viewBody('account'), this.switcher, h('div', { class: 'split' }, h('div', {}, this.table, this.pager), this.detail));
  }

  /** Load the current page (on opening the view, and on paging: not polled). */
  async load(): Promise<void> {
    for (const b of this.switcher.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset['set'] === this.current.set));
    const { set, columns } = this.current;
    let page: Obj;
    try {
      page = await api('GET', `${set}?$top=${PAGE}&$skip=${this.skip}&$inlinecount=allpages`);
    } catch (err) {
      replace(this.table, h('p', { class: 'error-text' }, (err as Error).message));
      return;
    }
    const total = Number(page['odata.count'] ?? 0);
    const rows = list(page['value']);
    const open = this.current.open;
    replace(
      this.table,
      h(
        'table',
        { 'data-set': set },
        h('thead', {}, h('tr', {}, ...columns.map(([name]) => h('th', { scope: 'col' }, name)))),
        h(
          'tbody',
          {},
          ...rows.map((e) => {
            const row = h('tr', { class: open ? 'clickable' : '', tabindex: open ? 0 : null, 'data-id': str(e['Id']) }, ...columns.map(([, cell]) => h('td', {}, cell(e))));
            if (open) {
              const go = () => {
                for (const r of row.parentElement?.children ?? []) r.classList.remove('selected');
                row.classList.add('selected');
                void open(e);
              };
              row.addEventListener('click', go);
              row.addEventListener('keydown', (event) => {
                if (event.key === 'Enter' || event.key === ' ') {
                  event.preventDefault();
                  go();
                }
              });
            }
            return row;
          }),
        ),
      ),
    );
    const last = Math.max(0, Math.ceil(total / PAGE) - 1);
    const at = Math.floor(this.skip / PAGE);
    const go = (page: number) => () => {
      this.skip = Math.max(0, Math.min(page, last)) * PAGE;
      void this.load();
    };
    replace(
      this.pager,
      h('button', { type: 'button', disabled: at === 0, onclick: go(0) }, '« First'),
      h('button', { type: 'button', disabled: at === 0, onclick: go(at - 1), id: 'account-previous' }, '‹ Previous'),
      h('span', { id: 'account-page' }, `${total === 0 ? 0 : this.skip + 1}–${this.skip + rows.length} of ${total}`),
      h('button', { type: 'button', disabled: at >= last, onclick: go(at + 1), id: 'account-next' }, 'Next ›'),
      h('button', { type: 'button', disabled: at >= last, onclick: go(last), id: 'account-last' }, 'Last »'),
    );
  }

  private async show(set: EntitySet): Promise<void> {
    this.current = set;
    this.skip = 0;
    replace(this.detail);
    await this.load();
  }

  private keyStatus(key: Obj): Node {
    const findings = this.context.findingsAbout(str(key['Id']));
    if (findings.length === 0) return badge('no findings', 'passed');
    return h('span', {}, ...findings.map((f) => badge(`${str(f['rule'])}${f['variant'] ? ` (${str(f['variant'])})` : ''}${f['diagnosis'] ? ` (${str(f['diagnosis'])})` : ''}`, str(f['severity']))));
  }

  /** A key's assets: the v2 API has no navigation from a key, so the emulator's endpoint answers. */
  private async openKey(key: Obj): Promise<void> {
    const id = str(key['Id']);
    const linked = list((await watch(`content-keys/${encodeURIComponent(id)}/assets`))['assets']);
    replace(
      this.detail,
      h('h3', {}, 'Content key'),
      h('div', { class: 'mono muted' }, id),
      h('div', {}, this.keyStatus(key)),
      h('h3', {}, `Linked assets (${linked.length})`),
      ...linked.map((a) => h('div', { 'data-linked-asset': str(a['Id']) }, str(a['Name']) || '(no name)', ' ', h('span', { class: 'mono muted' }, str(a['Id'])))),
    );
  }

  private async openAsset(asset: Obj): Promise<void> {
    const id = str(asset['Id']);
    const player = h('div', { id: 'player-box' });
    const [files, keys, locators] = await Promise.all(['Files', 'ContentKeys', 'Locators'].map((nav) => api('GET', `${entity('Assets', id)}/${nav}`).then((r) => list(r['value']))));
    replace(
      this.detail,
      h('h3', {}, str(asset['Name']) || id),
      h('div', { class: 'mono muted' }, id),
      h('h3', {}, `Files (${files!.length})`),
      h(
        'table',
        { id: 'asset-files' },
        h('thead', {}, h('tr', {}, ...['Name', 'Size', 'IV', 'Key', 'Verification', ''].map((c) => h('th', { scope: 'col' }, c)))),
        h(
          'tbody',
          {},
          ...files!.map((f) => {
            const status = this.context.verificationOf(str(f['Id']));
            return h(
              'tr',
              { 'data-file': str(f['Name']) },
              h('td', {}, str(f['Name'])),
              h('td', {}, formatBytes(str(f['ContentFileSize']))),
              h('td', { class: 'mono' }, str(f['InitializationVector'])),
              h('td', { class: 'mono' }, str(f['EncryptionKeyId'])),
              h('td', {}, status ? badge(status) : ''),
              h('td', {}, h('button', { type: 'button', class: 'primary', onclick: () => void play(asset, f, player) }, 'Play')),
            );
          }),
        ),
      ),
      player,
      h('h3', {}, `Content keys (${keys!.length})`),
      ...keys!.map((k) => h('div', { class: 'mono' }, str(k['Id']), ' ', this.keyStatus(k))),
      h('h3', {}, `Locators (${locators!.length})`),
      ...locators!.map((l) => h('div', {}, badge(LOCATOR_TYPES[str(l['Type'])] ?? str(l['Type']), 'info'), copyable(str(l['Path'])))),
    );
  }

  private async openJob(job: Obj): Promise<void> {
    const tasks = list((await api('GET', `${entity('Jobs', str(job['Id']))}/Tasks`))['value']);
    replace(
      this.detail,
      h('h3', {}, str(job['Name']) || str(job['Id'])),
      h('div', {}, jobState(job['State']), ' ', timeline(job)),
      h('h3', {}, `Tasks (${tasks.length})`),
      ...tasks.map((t) =>
        h(
          'div',
          { class: 'card' },
          h('div', {}, h('strong', {}, str(t['Name']) || str(t['Id'])), ' ', jobState(t['State']), ` ${str(t['Progress'])}%`),
          ...list(t['ErrorDetails']).map((d) => h('div', { class: 'error-text' }, h('code', {}, str(d['Code'])), ' ', str(d['Message']))),
        ),
      ),
    );
  }
}

function jobState(value: Obj[string] | undefined): HTMLElement {
  const name = JOB_STATES[Number(value)] ?? str(value);
  return badge(name, name === 'Finished' ? 'passed' : name === 'Error' ? 'failed' : 'pending');
}

function timeline(job: Obj): HTMLElement {
  const steps: Array<[string, Obj[string] | undefined]> = [['created', job['Created']], ['started', job['StartTime']], ['ended', job['EndTime']]];
  return h('span', { class: 'timeline' }, ...steps.filter(([, t]) => t).map(([label, t]) => h('span', { class: 'muted' }, `${label} ${time(str(t))}`)));
}

function copyable(text: string): HTMLElement {
  const value = h('span', { class: 'mono' }, text);
  return h('span', {}, value, ' ', h('button', { type: 'button', onclick: () => void copyText(text, value), 'aria-label': 'Copy URL' }, 'Copy'));
}

/**
 * Play a file from an OnDemandOrigin locator of its asset (made through /api when there is none):
 * the origin decrypts storage-encrypted files on the fly and answers range requests, so the
 * element can seek. The URL is taken relative to this page (the locator's Path names the Host the
 * locator was made through).
 */
async function play(asset: Obj, file: Obj, box: HTMLElement): Promise<void> {
  const assetId = str(asset['Id']);
  replace(box, h('p', { class: 'muted' }, 'finding an OnDemandOrigin locator…'));
  try {
    const locators = list((await api('GET', `${entity('Assets', assetId)}/Locators`))['value']);
    let origin = locators.find((l) => Number(l['Type']) === 2);
    if (!origin) {
      // As a real AMS user had to: a storage-encrypted asset streams only with a delivery policy,
      // and NoDynamicEncryption has the origin remove the storage encryption.
      if (Number(asset['Options']) === 1 && list((await api('GET', `${entity('Assets', assetId)}/DeliveryPolicies`))['value']).length === 0) {
        const delivery = await api('POST', 'AssetDeliveryPolicies', { Name: 'dashboard-play', AssetDeliveryProtocol: 0x17, AssetDeliveryPolicyType: 2, AssetDeliveryConfiguration: null });
        await api('POST', `${entity('Assets', assetId)}/$links/DeliveryPolicies`, { uri: `${location.origin}/api/${entity('AssetDeliveryPolicies', str(delivery['Id']))}` });
      }
      const policy = await api('POST', 'AccessPolicies', { Name: 'dashboard-play', DurationInMinutes: 120, Permissions: 1 });
      origin = await api('POST', 'Locators', { AccessPolicyId: policy['Id'] ?? null, AssetId: assetId, Type: 2 });
    }
    const path = new URL(str(origin['Path'])).pathname;
    const src = `${path.endsWith('/') ? path : `${path}/`}${encodeURIComponent(str(file['Name']))}`;
    const audio = /^audio\//.test(str(file['MimeType']));
    const media = h(audio ? 'audio' : 'video', { id: 'player', controls: true, preload: 'metadata', src });
    replace(box, h('h3', {}, `Playing ${str(file['Name'])}`), media, h('div', { class: 'mono muted' }, src));
  } catch (err) {
    replace(box, h('p', { class: 'error-text' }, (err as Error).message));
  }
}
