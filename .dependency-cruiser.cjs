/**
 * The layering the README states (its Layout section, in the same words), enforced by
 * `npm run check:layers` (part of `npm test`):
 *
 *   emulator -> client/src/crypto, client/src/rest/enums.ts    conformance -> client    nothing -> conformance
 *   inside emulator/src:
 *     http/, control/, app/compose.ts -> resources/ (thin handlers) -> model/ -> domain/ -> store/, storage/
 *     verify/, jobs/, origin/, content/, notifications/, ingest/, keydelivery/ (subsystems) -> app/, model/, domain/, store/, storage/
 *   model/ knows no wire (not http/, resources/, or the OData codec beyond odata/edm.ts and odata/values.ts);
 *   domain/ knows neither HTTP nor OData; store/ and storage/ know nothing above them; subsystems never
 *   import handlers (resources/), http/ or control/; no import cycles.
 *
 * There is no list of tolerated violations: `npm run check:layers` fails on any.
 */
module.exports = {
  forbidden: [
    {
      name: 'client-stands-alone',
      comment: 'The reference client and crypto library depend on nothing else in the repository.',
      severity: 'error',
      from: { path: '^client/src/' },
      to: { path: '^(emulator|conformance|bench|scripts|test)/' },
    },
    {
      name: 'emulator-uses-only-client-crypto',
      comment: 'The emulator takes the one crypto library (client/src/crypto) and the shared enumerations (client/src/rest/enums.ts) from the client, nothing else.',
      severity: 'error',
      from: { path: '^emulator/src/' },
      to: { path: '^client/src/', pathNot: '^client/src/(crypto/|rest/enums\\.ts$)' },
    },
    {
      name: 'nothing-imports-conformance',
      comment: 'The conformance kit is a consumer: only its own code and its own tests import it.',
      severity: 'error',
      from: { pathNot: '^conformance/' },
      to: { path: '^conformance/src/' },
    },
    {
      name: 'emulator-product-not-tests',
      comment: 'Product code never imports test support.',
      severity: 'error',
      from: { path: '^(emulator|client|conformance)/src/' },
      to: { path: '^((emulator|client|conformance)/)?test/' },
    },
    {
      name: 'store-and-storage-are-the-bottom',
      comment: 'State and blobs know nothing above them.',
      severity: 'error',
      from: { path: '^emulator/src/(store|storage)/' },
      to: { path: '^emulator/src/(http|odata|resources|domain|model|app|verify|jobs|origin|content|control|faults|auth)/' },
    },
    {
      name: 'domain-knows-no-wire',
      comment: 'Rules do not know HTTP or OData.',
      severity: 'error',
      from: { path: '^emulator/src/domain/' },
      to: { path: '^emulator/src/(http|odata|resources|verify|jobs|origin|content|control|faults)/' },
    },
    {
      name: 'model-knows-no-wire',
      comment: 'The model says what an entity is and what must hold of it; the wire formats, handlers and subsystems stand on it, never the other way. It may read the entity descriptions (odata/edm.ts) and canonical values (odata/values.ts).',
      severity: 'error',
      from: { path: '^emulator/src/model/' },
      to: { path: '^emulator/src/(http|resources|verify|jobs|origin|content|keydelivery|control|faults|auth|odata/(?!edm\\.ts$|values\\.ts$))' },
    },
    {
      name: 'handlers-below-http',
      comment: 'Handlers are called by the HTTP layer and composed by app/compose.ts, never the other way.',
      severity: 'error',
      from: { path: '^emulator/src/resources/' },
      to: { path: '^emulator/src/(http|control)/|^emulator/src/app/compose\\.ts$' },
    },
    {
      name: 'subsystems-not-on-handlers',
      comment: 'verify, jobs, origin, content, notifications, ingest and keydelivery stand on app, model, domain, store and storage, not on handlers, the HTTP layer or the control plane.',
      severity: 'error',
      from: { path: '^emulator/src/(verify|jobs|origin|content|notifications|ingest|keydelivery)/' },
      to: { path: '^emulator/src/(resources|http|control)/' },
    },
    {
      name: 'express-plumbing-stands-alone',
      comment: 'emulator/src/express/ holds request plumbing shared by every HTTP-facing part (http/, control/, origin/): it knows nothing of the emulator.',
      severity: 'error',
      from: { path: '^emulator/src/express/' },
      to: { path: '^emulator/src/(?!express/)' },
    },
    {
      name: 'no-circular',
      comment: 'A cycle makes two modules one.',
      severity: 'error',
      from: { path: '^(client|emulator|conformance)/src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/|^dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
