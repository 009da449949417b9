/**
 * JobTemplates and TaskTemplates (ams-v2-surface.md §6.4): reusable task lists a job can be made
 * from (`POST Jobs` with a `TemplateId`). A JobTemplate cannot be updated; its TaskTemplates are
 * created inline with it (or as `POST $1/TaskTemplates` in its `$batch` changeset) and carry ids
 * the client chose, which the JobTemplateBody's `taskTemplateId` attributes name.
 *
 * Written `as const` without importing edm.ts's types, because edm.ts lists these types in
 * ENTITY_TYPES (an import back would be a cycle); that listing checks them against EntityTypeDef.
 */
const created = { name: 'Created', type: 'Edm.DateTime', nullable: false, serverOwned: true } as const;
const lastModified = { name: 'LastModified', type: 'Edm.DateTime', nullable: false, serverOwned: true } as const;
const text = (name: string, maxLength?: number) => ({ name, type: 'Edm.String', nullable: true, ...(maxLength ? { maxLength } : {}) }) as const;

export const JobTemplate = {
  name: 'JobTemplate',
  set: 'JobTemplates',
  idTag: 'jtid',
  key: 'Id',
  properties: [
    { name: 'Id', type: 'Edm.String', nullable: false, serverOwned: true },
    text('Name', 4000),
    created,
    lastModified,
    { name: 'JobTemplateBody', type: 'Edm.String', nullable: false, required: true, createOnly: true, maxLength: 100000 },
    { name: 'NumberofInputAssets', type: 'Edm.Int32', nullable: false, createOnly: true },
    { name: 'TemplateType', type: 'Edm.Int32', nullable: false, createOnly: true },
  ],
  navigation: [{ name: 'TaskTemplates', target: 'TaskTemplates', many: true }],
} as const;

export const TaskTemplate = {
  name: 'TaskTemplate',
  set: 'TaskTemplates',
  idTag: 'ttid',
  key: 'Id',
  properties: [
    // Chosen by the client (the one id in the API that is), so neither server-owned nor generated.
    { name: 'Id', type: 'Edm.String', nullable: false, required: true, createOnly: true },
    text('Configuration', 100000),
    created,
    text('Description', 4000),
    lastModified,
    text('MediaProcessorId'),
    text('Name', 4000),
    { name: 'NumberofInputAssets', type: 'Edm.Int32', nullable: false, createOnly: true },
    { name: 'NumberofOutputAssets', type: 'Edm.Int32', nullable: false, createOnly: true },
    { name: 'Options', type: 'Edm.Int32', nullable: false, createOnly: true },
    text('EncryptionKeyId'),
    text('EncryptionScheme'),
    text('EncryptionVersion'),
    text('InitializationVector'),
  ],
  navigation: [],
} as const;
