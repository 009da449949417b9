/**
 * The shapes of the entity model (`edm.ts` and the area files beside it describe the entities with
 * them, through the tables of `edm-table.ts`), and the names of its sets. Apart so that an area
 * file (`edm-delivery.ts`) can use them without importing `edm.ts`, which lists the area's types.
 */
export type EdmPrimitive =
  | 'Edm.String'
  | 'Edm.Int32'
  | 'Edm.Int64'
  | 'Edm.Double'
  | 'Edm.Boolean'
  | 'Edm.DateTime'
  | 'Edm.Guid';

export interface ComplexTypeDef {
  name: string;
  properties: readonly PropertyDef[];
}

export interface PropertyDef {
  name: string;
  type: EdmPrimitive;
  /** A collection of this complex type instead of a primitive (`Collection(Ns.ErrorDetail)`). */
  complexCollection?: ComplexTypeDef;
  /** One value of this complex type (`StreamingEndpoint.CacheControl`, `IngestManifest.Statistics`); its fields may nest. */
  complex?: ComplexTypeDef;
  /** A collection of `type` primitives (`Collection(Edm.String)`). */
  primitiveCollection?: boolean;
  nullable: boolean;
  /** Set by the server; a value in a request body is ignored (the .NET SDK sends them all). */
  serverOwned?: boolean;
  /** Accepted on create, refused (400) when an update changes it. */
  createOnly?: boolean;
  /** Required on create (400 when missing). */
  required?: boolean;
  maxLength?: number;
}

export interface NavigationDef {
  name: string;
  /** The entity set the navigation leads to. */
  target: EntitySetName;
  many: boolean;
}

/** Every entity set's name: the tables (`edm-table.ts`) check navigation targets against it. */
export const ENTITY_SET_NAMES = [
  'Assets',
  'Files',
  'ContentKeys',
  'AccessPolicies',
  'Locators',
  'Jobs',
  'Tasks',
  'MediaProcessors',
  'StorageAccounts',
  'EncodingReservedUnitTypes',
  'NotificationEndPoints',
  'IngestManifests',
  'IngestManifestAssets',
  'IngestManifestFiles',
  'AssetDeliveryPolicies', 'ContentKeyAuthorizationPolicies', 'ContentKeyAuthorizationPolicyOptions',
  'StreamingEndpoints', 'Operations',
  'JobTemplates', 'TaskTemplates',
] as const;

export type EntitySetName = (typeof ENTITY_SET_NAMES)[number];

export interface EntityTypeDef {
  /** OData type name without namespace, e.g. `AssetFile`. */
  name: string;
  set: EntitySetName;
  /** The `nb:<tag>:UUID:` tag of ids in this set; undefined for sets keyed otherwise. */
  idTag?: string;
  /** The key property; `Id` for all but StorageAccounts (`Name`). */
  key: string;
  properties: readonly PropertyDef[];
  navigation: readonly NavigationDef[];
  /** Entity sets a client may only read. */
  readOnly?: boolean;
}

/**
 * An action bound to one entity (`ContentKeys('<id>')/GetKeyDeliveryUrl`): POST, parameters in a
 * JSON body. Declared by set name in one list (`edm.ts` ENTITY_ACTIONS, fed by the areas' lists:
 * DELIVERY_ACTIONS, STREAMING_ACTIONS) rather than on the entity type, so that an area adds
 * actions to a core type (ContentKey) without editing its definition;
 * `odata/uri.ts` yields `{ kind: 'action' }` for it and the composition's `actions` serve it.
 */
export interface EntityActionDef {
  set: EntitySetName;
  name: string;
  parameters: readonly { name: string; type: EdmPrimitive }[];
  returnType?: EdmPrimitive;
}
