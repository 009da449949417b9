/**
 * The two JSON dialects of AMS v2 (OData v3). Responses are recognised by their shape, not by the
 * format that was asked for, so a server that answers verbose to a minimal request still works.
 *
 *              minimal metadata (`application/json`)        verbose (`application/json;odata=verbose`)
 * entity       {"odata.metadata":"..#Assets/@Element",...}  {"d":{"__metadata":{..},...}}
 * collection   {"odata.metadata":"..#Assets","value":[..]}   {"d":{"results":[..]}}  (OData v1: {"d":[..]})
 * function     {"odata.metadata":"..#Edm.String","value":"x"} {"d":{"GetProtectionKeyId":"x"}}
 * DateTime     "2015-02-04T02:37:46.9684379Z"                "\/Date(1336771959431)\/"
 * Int64        "3186542" (a string)                          "3186542"
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export type WireFormat = 'json' | 'verbose';

export const MEDIA_TYPES: Readonly<Record<WireFormat, string>> = {
  json: 'application/json',
  verbose: 'application/json;odata=verbose',
};

export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parse a body; `problem` describes what was wrong when it is not JSON. */
export function parseJsonBody(text: string): { value: JsonValue } | { problem: string } {
  try {
    return { value: JSON.parse(text) as JsonValue };
  } catch {
    const preview = text.length > 80 ? `${text.slice(0, 80)}...` : text;
    return { problem: `the body is not JSON: ${JSON.stringify(preview)}` };
  }
}

/** The entity's properties from either dialect (annotations such as `odata.metadata` left in place). */
export function readEntity(body: JsonValue): JsonObject | undefined {
  if (!isJsonObject(body)) return undefined;
  if (isJsonObject(body.d)) return body.d;
  return body;
}

/** The entities of a collection from either dialect. */
export function readCollection(body: JsonValue): JsonValue[] | undefined {
  if (!isJsonObject(body)) return undefined;
  if (Array.isArray(body.value)) return body.value;
  const d = body.d;
  if (Array.isArray(d)) return d;
  if (isJsonObject(d) && Array.isArray(d.results)) return d.results;
  return undefined;
}

/**
 * The single value an OData service operation returns (`GetProtectionKeyId`, `RebindContentKey`):
 * minimal `{"value":..}`, verbose `{"d":{"<Function>":..}}` or `{"d":..}`, or the Atom/XML
 * `<Function xmlns="..dataservices">..</Function>` that some servers send whatever the Accept says.
 */
export function readFunctionValue(text: string, functionName: string): JsonValue | undefined {
  const parsed = parseJsonBody(text);
  if ('value' in parsed) {
    const body = parsed.value;
    if (!isJsonObject(body)) return undefined;
    if ('value' in body) return body.value;
    const d = body.d;
    if (isJsonObject(d)) {
      if (functionName in d) return d[functionName];
      const keys = Object.keys(d).filter((key) => key !== '__metadata');
      return keys.length === 1 ? d[keys[0]!] : undefined;
    }
    return d;
  }
  const xml = new RegExp(`<(?:\\w+:)?${functionName}\\b[^>]*>([^<]*)</(?:\\w+:)?${functionName}>`).exec(text);
  return xml ? decodeXmlText(xml[1]!) : undefined;
}

/**
 * The code and message of an error body in any of the shapes AMS and its proxies produce:
 * `{"odata.error":{..}}` (minimal), `{"error":{..}}` (verbose; message a string or `{lang,value}`),
 * an OAuth `{"error":"invalid_client","error_description":".."}`, an XML `<error>`, or plain text.
 */
export function readErrorBody(text: string): { code?: string; message?: string } {
  const trimmed = text.trim();
  if (trimmed === '') return {};
  const parsed = parseJsonBody(trimmed);
  if ('value' in parsed && isJsonObject(parsed.value)) {
    const body = parsed.value;
    const error = body['odata.error'] ?? body.error;
    if (isJsonObject(error)) {
      return { code: asText(error.code), message: messageText(error.message) ?? asText(error.innererror) };
    }
    if (typeof error === 'string') {
      return { code: error, message: asText(body.error_description) };
    }
    return { message: asText(body.message) ?? asText(body.Message) ?? trimmed };
  }
  if (trimmed.startsWith('<')) {
    const code = /<(?:\w+:)?code>([^<]*)</.exec(trimmed)?.[1];
    const message = /<(?:\w+:)?message\b[^>]*>([^<]*)</.exec(trimmed)?.[1];
    if (code !== undefined || message !== undefined) {
      return { code: code === undefined ? undefined : decodeXmlText(code), message: message === undefined ? undefined : decodeXmlText(message) };
    }
    // An HTML page (a proxy's, or the 301 "Object moved" page): its title says the most.
    const title = /<title>([^<]*)<\/title>/i.exec(trimmed)?.[1];
    return { message: title ? decodeXmlText(title).trim() : trimmed.slice(0, 200) };
  }
  return { message: trimmed.length > 500 ? `${trimmed.slice(0, 500)}...` : trimmed };
}

/**
 * A request body in the chosen dialect: `Date` as ISO (minimal) or `\/Date(ms)\/` (verbose),
 * `bigint` (Edm.Int64) as a decimal string, `undefined` properties left out.
 */
export function encodeBody(body: Record<string, unknown>, format: WireFormat): string {
  const json = JSON.stringify(body, function replacer(this: unknown, key: string, value: unknown) {
    // JSON.stringify calls toJSON before the replacer: look at the original value for dates.
    const original = key === '' ? value : (this as Record<string, unknown>)[key];
    if (original instanceof Date) return format === 'verbose' ? `/Date(${original.getTime()})/` : original.toISOString();
    if (typeof value === 'bigint') return value.toString(10);
    return value;
  });
  // The verbose date literal is written with escaped slashes, "\/Date(ms)\/", the form OData
  // readers look for; JSON-wise it is the same string.
  return format === 'verbose' ? json.replace(/"\/Date\((-?\d+)\)\/"/g, '"\\/Date($1)\\/"') : json;
}

function messageText(message: JsonValue | undefined): string | undefined {
  if (typeof message === 'string') return message;
  if (isJsonObject(message)) return asText(message.value);
  return undefined;
}

function asText(value: JsonValue | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function decodeXmlText(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/g, '&');
}
