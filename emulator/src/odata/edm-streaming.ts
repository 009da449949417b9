/**
 * StreamingEndpoints and the Operations that report their asynchronous changes
 * (ams-v2-surface.md §4). The complex type names are not confirmed by any source (§10): they
 * follow the .NET SDK's data classes without their `Data` suffix; clients read the values by
 * property name.
 *
 * The definitions are `as const` and name no value of `edm.ts`, which lists them in ENTITY_TYPES
 * (importing it here would make the two modules a cycle); they are checked against EntityTypeDef
 * where `edm.ts` lists them. The shapes themselves come from `edm-types.ts`.
 */
import type { EntityActionDef } from './edm-types.js';

const id = { name: 'Id', type: 'Edm.String', nullable: false, serverOwned: true } as const;

export const AkamaiSignatureHeaderAuthenticationKey = {
  name: 'AkamaiSignatureHeaderAuthenticationKey',
  properties: [
    { name: 'Identifier', type: 'Edm.String', nullable: true },
    // The Java SDK round-trips it as a Date and compares: milliseconds must survive.
    { name: 'Expiration', type: 'Edm.DateTime', nullable: true },
    { name: 'Base64Key', type: 'Edm.String', nullable: true },
  ],
} as const;

export const AkamaiAccessControl = {
  name: 'AkamaiAccessControl',
  properties: [{ name: 'AkamaiSignatureHeaderAuthenticationKeyList', type: 'Edm.String', nullable: true, complexCollection: AkamaiSignatureHeaderAuthenticationKey }],
} as const;

export const IPRange = {
  name: 'IPRange',
  properties: [
    { name: 'Name', type: 'Edm.String', nullable: true },
    { name: 'Address', type: 'Edm.String', nullable: true },
    { name: 'SubnetPrefixLength', type: 'Edm.Int32', nullable: true },
  ],
} as const;

export const IPAccessControl = {
  name: 'IPAccessControl',
  // null: everyone may stream; an empty list: nobody (ams-v2-surface.md §4.1).
  properties: [{ name: 'Allow', type: 'Edm.String', nullable: true, complexCollection: IPRange }],
} as const;

export const StreamingEndpointAccessControl = {
  name: 'StreamingEndpointAccessControl',
  properties: [
    { name: 'Akamai', type: 'Edm.String', nullable: true, complex: AkamaiAccessControl },
    { name: 'IP', type: 'Edm.String', nullable: true, complex: IPAccessControl },
  ],
} as const;

export const StreamingEndpointCacheControl = {
  name: 'StreamingEndpointCacheControl',
  properties: [{ name: 'MaxAge', type: 'Edm.Int64', nullable: true }],
} as const;

export const CrossSiteAccessPolicies = {
  name: 'CrossSiteAccessPolicies',
  properties: [
    { name: 'ClientAccessPolicy', type: 'Edm.String', nullable: true },
    { name: 'CrossDomainPolicy', type: 'Edm.String', nullable: true },
  ],
} as const;

/** The policies are whole XML documents: their bound is the structured values' (64 KiB of JSON). */
export const StreamingEndpoint = {
  name: 'StreamingEndpoint',
  set: 'StreamingEndpoints',
  idTag: 'oid',
  key: 'Id',
  properties: [
    id,
    { name: 'Name', type: 'Edm.String', nullable: false, required: true, createOnly: true, maxLength: 32 },
    { name: 'Description', type: 'Edm.String', nullable: true, maxLength: 256 },
    { name: 'Created', type: 'Edm.DateTime', nullable: false, serverOwned: true },
    { name: 'LastModified', type: 'Edm.DateTime', nullable: false, serverOwned: true },
    // A string on the wire; a client may send Stopped or Running on create (the handlers read it there only).
    { name: 'State', type: 'Edm.String', nullable: false },
    { name: 'HostName', type: 'Edm.String', nullable: true, serverOwned: true },
    // Changed by the Scale action; a MERGE may only echo it.
    { name: 'ScaleUnits', type: 'Edm.Int32', nullable: true, createOnly: true },
    { name: 'CdnEnabled', type: 'Edm.Boolean', nullable: false },
    { name: 'CdnProvider', type: 'Edm.String', nullable: true },
    { name: 'CdnProfile', type: 'Edm.String', nullable: true },
    { name: 'FreeTrialEndTime', type: 'Edm.DateTime', nullable: false, serverOwned: true },
    { name: 'StreamingEndpointVersion', type: 'Edm.String', nullable: true },
    { name: 'CustomHostNames', type: 'Edm.String', nullable: true, primitiveCollection: true },
    { name: 'AccessControl', type: 'Edm.String', nullable: true, complex: StreamingEndpointAccessControl },
    { name: 'CacheControl', type: 'Edm.String', nullable: true, complex: StreamingEndpointCacheControl },
    { name: 'CrossSiteAccessPolicies', type: 'Edm.String', nullable: true, complex: CrossSiteAccessPolicies },
  ],
  navigation: [],
} as const;

/** `POST StreamingEndpoints('<id>')/Start|Stop|Scale`: 202 with the operation-id (§4.2). */
export const STREAMING_ACTIONS: readonly EntityActionDef[] = [
  { set: 'StreamingEndpoints', name: 'Start', parameters: [] },
  { set: 'StreamingEndpoints', name: 'Stop', parameters: [] },
  { set: 'StreamingEndpoints', name: 'Scale', parameters: [{ name: 'scaleUnits', type: 'Edm.Int32' }] },
];

/** `GET Operations('nb:opid:UUID:…')`: the state of an asynchronous change (§4.3). */
export const Operation = {
  name: 'Operation',
  set: 'Operations',
  idTag: 'opid',
  key: 'Id',
  readOnly: true,
  properties: [
    id,
    { name: 'State', type: 'Edm.String', nullable: false, serverOwned: true },
    { name: 'TargetEntityId', type: 'Edm.String', nullable: true, serverOwned: true },
    { name: 'ErrorCode', type: 'Edm.String', nullable: true, serverOwned: true },
    { name: 'ErrorMessage', type: 'Edm.String', nullable: true, serverOwned: true },
  ],
  navigation: [],
} as const;
