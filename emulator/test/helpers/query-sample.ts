import type { EntityTypeDef } from '../../src/odata/edm.js';

/** Every primitive type the model stores, nullable, plus a navigation property: the query tests' entity type. */
export const Sample: EntityTypeDef = {
  name: 'Sample',
  set: 'Assets',
  key: 'Id',
  properties: [
    { name: 'Id', type: 'Edm.String', nullable: false },
    { name: 'Name', type: 'Edm.String', nullable: true },
    { name: 'Count', type: 'Edm.Int32', nullable: true },
    { name: 'Size', type: 'Edm.Int64', nullable: true },
    { name: 'Ratio', type: 'Edm.Double', nullable: true },
    { name: 'Flag', type: 'Edm.Boolean', nullable: true },
    { name: 'When', type: 'Edm.DateTime', nullable: true },
  ],
  navigation: [{ name: 'Parent', target: 'Assets', many: false }],
};
