/**
 * StreamingEndpoints and the Operations that report their asynchronous changes
 * (ams-v2-surface.md §4). The complex type names are not confirmed by any source (§10): they
 * follow the .NET SDK's data classes without their `Data` suffix; clients read the values by
 * property name.
 *
 * Built from tables (`edm-table.ts`), which import no value of `edm.ts`: edm.ts lists these types
 * in ENTITY_TYPES, and an import back would be a cycle.
 */
import type { EntityActionDef, EntityTypeDef } from './edm-types.js';
import { complexTypes, entityType } from './edm-table.js';

/**
 * The complex values of a StreamingEndpoint. AkamaiSignatureHeaderAuthenticationKey.Expiration:
 * the Java SDK round-trips it as a Date and compares, so milliseconds must survive.
 * IPAccessControl.Allow: null, everyone may stream; an empty list, nobody (ams-v2-surface.md §4.1).
 */
const COMPLEX = complexTypes(`
  AkamaiSignatureHeaderAuthenticationKey
    Identifier  String?
    Expiration  DateTime?
    Base64Key   String?
  AkamaiAccessControl
    AkamaiSignatureHeaderAuthenticationKeyList  String?  collection=AkamaiSignatureHeaderAuthenticationKey
  IPRange
    Name                String?
    Address             String?
    SubnetPrefixLength  Int32?
  IPAccessControl
    Allow  String?  collection=IPRange
  StreamingEndpointAccessControl
    Akamai  String?  complex=AkamaiAccessControl
    IP      String?  complex=IPAccessControl
  StreamingEndpointCacheControl
    MaxAge  Int64?
  CrossSiteAccessPolicies
    ClientAccessPolicy  String?
    CrossDomainPolicy   String?
`);

/**
 * State is a string on the wire; a client may send Stopped or Running on create (the handlers read
 * it there only). ScaleUnits is changed by the Scale action; a MERGE may only echo it. The policies
 * are whole XML documents: their bound is the structured values' (64 KiB of JSON).
 */
export const StreamingEndpoint: EntityTypeDef = entityType({ name: 'StreamingEndpoint', set: 'StreamingEndpoints', idTag: 'oid' }, `
  Id                        String     server
  Name                      String     required create max=32
  Description               String?    max=256
  Created                   DateTime   server
  LastModified              DateTime   server
  State                     String
  HostName                  String?    server
  ScaleUnits                Int32?     create
  CdnEnabled                Boolean
  CdnProvider               String?
  CdnProfile                String?
  FreeTrialEndTime          DateTime   server
  StreamingEndpointVersion  String?
  CustomHostNames           String?    list
  AccessControl             String?    complex=StreamingEndpointAccessControl
  CacheControl              String?    complex=StreamingEndpointCacheControl
  CrossSiteAccessPolicies   String?    complex=CrossSiteAccessPolicies
`, '', COMPLEX);

/** `POST StreamingEndpoints('<id>')/Start|Stop|Scale`: 202 with the operation-id (§4.2). */
export const STREAMING_ACTIONS: readonly EntityActionDef[] = [
  { set: 'StreamingEndpoints', name: 'Start', parameters: [] },
  { set: 'StreamingEndpoints', name: 'Stop', parameters: [] },
  { set: 'StreamingEndpoints', name: 'Scale', parameters: [{ name: 'scaleUnits', type: 'Edm.Int32' }] },
];

/** `GET Operations('nb:opid:UUID:…')`: the state of an asynchronous change (§4.3). */
export const Operation: EntityTypeDef = entityType({ name: 'Operation', set: 'Operations', idTag: 'opid', readOnly: true }, `
  Id              String   server
  State           String   server
  TargetEntityId  String?  server
  ErrorCode       String?  server
  ErrorMessage    String?  server
`);
