/**
 * JobTemplates and TaskTemplates (ams-v2-surface.md §6.4): reusable task lists a job can be made
 * from (`POST Jobs` with a `TemplateId`). A JobTemplate cannot be updated; its TaskTemplates are
 * created inline with it (or as `POST $1/TaskTemplates` in its `$batch` changeset) and carry ids
 * the client chose, which the JobTemplateBody's `taskTemplateId` attributes name: a TaskTemplate's
 * Id is the one id in the API that is neither server-owned nor generated.
 *
 * Built from tables (`edm-table.ts`), which import no value of `edm.ts`: edm.ts lists these types
 * in ENTITY_TYPES, and an import back would be a cycle.
 */
import type { EntityTypeDef } from './edm-types.js';
import { entityType } from './edm-table.js';

export const JobTemplate: EntityTypeDef = entityType({ name: 'JobTemplate', set: 'JobTemplates', idTag: 'jtid' }, `
  Id                   String    server
  Name                 String?   max=4000
  Created              DateTime  server
  LastModified         DateTime  server
  JobTemplateBody      String    required create max=100000
  NumberofInputAssets  Int32     create
  TemplateType         Int32     create
`, `
  TaskTemplates  TaskTemplates*
`);

export const TaskTemplate: EntityTypeDef = entityType({ name: 'TaskTemplate', set: 'TaskTemplates', idTag: 'ttid' }, `
  Id                    String    required create
  Configuration         String?   max=100000
  Created               DateTime  server
  Description           String?   max=4000
  LastModified          DateTime  server
  MediaProcessorId      String?
  Name                  String?   max=4000
  NumberofInputAssets   Int32     create
  NumberofOutputAssets  Int32     create
  Options               Int32     create
  EncryptionKeyId       String?
  EncryptionScheme      String?
  EncryptionVersion     String?
  InitializationVector  String?
`);
