/**
 * Which names may address a blob inside a container. An asset's file name becomes the blob name in
 * the asset's container; a name that walks out of it (`../asset-<other>/x`) would read or overwrite
 * another asset's blob once a URL parser normalises the path, as the storage SDK does. The API
 * refuses such names with a 400 (files, CreateFileInfos, origin paths) and the blob gateway refuses
 * them again at the bottom, so no route can reach storage with one.
 *
 * Legitimate blob names keep working: spaces, any Unicode, `/` separating folders, dots inside a
 * segment (`a..b`, `.hidden`), a literal `%` that decodes to nothing special.
 */

/** How many rounds of percent-decoding are looked through (`%252e` is `%2e` is `.`). */
const DECODE_ROUNDS = 3;

/**
 * Why `name` cannot be a blob name inside its container, or undefined when it can. Refused: `.`
 * and `..` segments, a backslash (storage and its SDK read `\` as `/`), a leading `/` (an empty
 * first segment the URL would swallow), and the percent-encoded forms of all of these.
 */
export function blobNameEscape(name: string): string | undefined {
  if (name === '') return 'it is empty';
  for (const form of decodedForms(name)) {
    const shown = form === name ? '' : ` (percent-decoded: ${JSON.stringify(form.slice(0, 100))})`;
    if (form.includes('\\')) return `it contains a backslash${shown}, which storage reads as '/'`;
    if (form.startsWith('/')) return `it starts with '/'${shown}`;
    const segment = form.split('/').find((s) => s === '.' || s === '..');
    if (segment !== undefined) return `it has a '${segment}' path segment${shown}, which would address a blob outside the asset's container`;
  }
  return undefined;
}

/** The name as given, then each distinct percent-decoding of it (stopping at one that does not decode). */
function decodedForms(name: string): string[] {
  const forms = [name];
  let current = name;
  for (let round = 0; round < DECODE_ROUNDS && current.includes('%'); round++) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(current);
    } catch {
      // Not valid percent-encoding: no client or parser decodes it either, it stays literal.
      break;
    }
    if (decoded === current) break;
    forms.push(decoded);
    current = decoded;
  }
  return forms;
}
