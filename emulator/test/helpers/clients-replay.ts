/**
 * Replays a recorded request sequence (emulator/test/fixtures/clients/<client>/sequence.json)
 * against an emulator, byte for byte: the path exactly as the client put it on the wire, the
 * client's headers, its request bodies (templates with `{{var}}` placeholders). Values the client
 * computes itself (keys, checksums, encrypted bytes, uploads) come from named client actions the
 * test supplies; values the client reads from responses are saved by `save` expressions.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { rawRequest, type RawResponse } from '../../../test/support/emulator.js';
import { atomEntries, atomProperties, parseXml, relatedHref } from './clients-xml.js';
import { send } from './fuzz-wire.js';

export interface Sequence {
  client: string;
  /** Where the shapes come from (client source files, captures, wire facts). */
  source: string;
  /** Headers on every request of this client. */
  headers: Record<string, string>;
  steps: Step[];
}

export type Step = HttpStep | ActionStep;

export interface HttpStep {
  name: string;
  /** `METHOD /path?query` (or `METHOD {{var}}` holding an absolute URL), sent without normalisation. */
  request: string;
  /** Added to the client's headers; null removes one. */
  headers?: Record<string, string | null>;
  /** A body template file beside sequence.json (`.xml`, `.http`: values XML-escaped; `.json`: JSON-escaped), sent byte for byte. */
  body?: string;
  /**
   * `raw`: written on a socket of its own, headers in order and byte for byte, for what Node's
   * HTTP client refuses to send (a header folded onto a continuation line, obs-fold).
   */
  wire?: 'raw';
  expect: number;
  /**
   * Values to keep, by expression: `xml:text` (root text), `atom:<Prop>` (the entry's property, or
   * the first entry's of a feed), `atom-link:<Nav>` (absolute related href), `json:<a.b.c>`,
   * `header:<name>`, `location-key` (the key inside the Location URL, decoded).
   */
  save?: Record<string, string>;
}

export interface ActionStep {
  name: string;
  /** A client action the test supplies (crypto, uploads, verification). */
  action: string;
}

export interface Exchange {
  step: HttpStep;
  path: string;
  requestBody?: string;
  response: RawResponse;
}

export interface ReplayOptions {
  /** The emulator root, `http://127.0.0.1:<port>/`. */
  baseUrl: string;
  /** Sent as the Host header (a name the emulator is reached under), instead of the address. */
  host?: string;
  actions: Record<string, (session: ReplaySession) => Promise<void> | void>;
}

export class ReplaySession {
  readonly vars = new Map<string, string>();
  readonly exchanges: Exchange[] = [];

  constructor(
    readonly sequence: Sequence,
    private readonly directory: URL,
    readonly options: ReplayOptions,
  ) {}

  get(name: string): string {
    const value = this.vars.get(name);
    if (value === undefined) throw new Error(`${this.sequence.client}: no value for {{${name}}} yet`);
    return value;
  }

  set(name: string, value: string): void {
    this.vars.set(name, value);
  }

  /** The exchange of the step with this name. */
  exchange(name: string): Exchange {
    const found = this.exchanges.find((e) => e.step.name === name);
    if (!found) throw new Error(`no exchange for step ${name}`);
    return found;
  }

  async run(): Promise<void> {
    for (const step of this.sequence.steps) {
      if ('action' in step) {
        const action = this.options.actions[step.action];
        if (!action) throw new Error(`${this.sequence.client}: no client action '${step.action}' (step ${step.name})`);
        await action(this);
      } else {
        await this.send(step);
      }
    }
  }

  async send(step: HttpStep): Promise<Exchange> {
    const space = step.request.indexOf(' ');
    const method = step.request.slice(0, space);
    const path = targetPath(this.fill(step.request.slice(space + 1), 'raw'));
    const headers: Record<string, string> = { ...this.sequence.headers };
    for (const [name, value] of Object.entries(step.headers ?? {})) {
      for (const existing of Object.keys(headers)) if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
      if (value !== null) headers[name] = this.fill(value, 'raw');
    }
    if (this.options.host) headers['Host'] = this.options.host;
    let requestBody: string | undefined;
    if (step.body) {
      const template = readFileSync(new URL(step.body, this.directory), 'utf8');
      requestBody = this.fill(template, step.body.endsWith('.json') ? 'json' : 'xml');
      headers['Content-Length'] = String(Buffer.byteLength(requestBody));
    } else if (method !== 'GET' && method !== 'HEAD') {
      headers['Content-Length'] = '0';
    }
    const response = step.wire === 'raw' ? await sendRaw(this.options.baseUrl, method, path, headers, requestBody) : await rawRequest(this.options.baseUrl, method, path, headers, requestBody);
    const exchange: Exchange = { step, path, requestBody, response };
    this.exchanges.push(exchange);
    expect(response.status, `${this.sequence.client} step "${step.name}" (${method} ${path}): ${response.text.slice(0, 600)}`).toBe(step.expect);
    for (const [name, expression] of Object.entries(step.save ?? {})) this.set(name, extract(response, expression, step.name));
    return exchange;
  }

  /** `{{name}}` or `{{name|url}}` (percent-encoded), escaped for where it lands. */
  fill(template: string, context: 'raw' | 'xml' | 'json'): string {
    return template.replace(/\{\{([A-Za-z0-9_]+)(\|url)?\}\}/g, (_, name: string, url: string | undefined) => {
      const value = url ? encodeURIComponent(this.get(name)) : this.get(name);
      if (context === 'xml') return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
      if (context === 'json') return JSON.stringify(value).slice(1, -1);
      return value;
    });
  }
}

/** One request through fuzz-wire's `send` (its own Host, Content-Length and `Connection: close`). */
async function sendRaw(baseUrl: string, method: string, target: string, headers: Record<string, string>, body: string | undefined): Promise<RawResponse> {
  const host = Object.entries(headers).find(([name]) => name.toLowerCase() === 'host')?.[1];
  const sent = Object.entries(headers).filter(([name]) => !['host', 'content-length'].includes(name.toLowerCase()));
  const res = await send(baseUrl, {
    method,
    target,
    headers: host === undefined ? sent : [['Host', host], ...sent],
    omitHost: host !== undefined,
    body: body === undefined ? undefined : Buffer.from(body, 'utf8'),
  });
  return { status: res.status, headers: res.headers, text: res.body.toString('utf8') };
}

/** Load `fixtures/clients/<name>/sequence.json`. */
export function loadSequence(name: string, options: ReplayOptions): ReplaySession {
  const directory = new URL(`../fixtures/clients/${name}/`, import.meta.url);
  const sequence = JSON.parse(readFileSync(new URL('sequence.json', directory), 'utf8')) as Sequence;
  return new ReplaySession(sequence, directory, options);
}

/** An absolute URL a client took from a response is requested by its path and query. */
function targetPath(target: string): string {
  const abs = /^[a-z]+:\/\/[^/]*/i.exec(target);
  return abs ? target.slice(abs[0].length) || '/' : target;
}

function extract(response: RawResponse, expression: string, step: string): string {
  const colon = expression.indexOf(':');
  const kind = colon < 0 ? expression : expression.slice(0, colon);
  const arg = colon < 0 ? '' : expression.slice(colon + 1);
  switch (kind) {
    case 'xml':
      return parseXml(response.text).text;
    case 'atom': {
      const entry = atomEntries(parseXml(response.text))[0];
      if (!entry) throw new Error(`step ${step}: the feed is empty`);
      return atomProperties(entry)[arg] ?? '';
    }
    case 'atom-link': {
      const root = parseXml(response.text);
      return relatedHref(root, atomEntries(root)[0]!, arg);
    }
    case 'json': {
      let value: unknown = JSON.parse(response.text);
      for (const key of arg.split('.')) value = (value as Record<string, unknown>)[key];
      if (typeof value !== 'string') throw new Error(`step ${step}: ${arg} is not a string in ${response.text.slice(0, 200)}`);
      return value;
    }
    case 'header': {
      const value = response.headers[arg.toLowerCase()];
      if (typeof value !== 'string') throw new Error(`step ${step}: no ${arg} header`);
      return value;
    }
    case 'location-key': {
      const location = response.headers['location'];
      const m = typeof location === 'string' ? /\('([^']*)'\)$/.exec(location) : null;
      if (!m) throw new Error(`step ${step}: Location ${String(location)} does not end with ('<key>')`);
      return decodeURIComponent(m[1]!);
    }
    default:
      throw new Error(`step ${step}: unknown save expression ${expression}`);
  }
}
