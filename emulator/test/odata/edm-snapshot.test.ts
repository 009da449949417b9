import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENTITY_ACTIONS, ENTITY_TYPES, FUNCTIONS } from '../../src/odata/edm.js';
import { complexType, entityType } from '../../src/odata/edm-table.js';
import { writeMetadataDocument } from '../../src/odata/metadata-document.js';

/**
 * The entity model is written as tables (odata/edm-table.ts). These snapshots were taken from the
 * object-literal declarations the tables replaced: the `$metadata` document byte for byte, and every
 * type's full description (server-owned, create-only, required, maxLength, which $metadata does not
 * show). A change to the model changes them on purpose, in the same commit.
 */
const fixture = (name: string): string => readFileSync(new URL(`../fixtures/edm/${name}`, import.meta.url), 'utf8');

describe('the entity model', () => {
  it('writes the same $metadata document as the declarations it replaced', () => {
    expect(writeMetadataDocument(ENTITY_TYPES, FUNCTIONS)).toBe(fixture('metadata.xml'));
  });

  it('describes every entity type and action as before, flags included', () => {
    const now: unknown = JSON.parse(JSON.stringify({ types: ENTITY_TYPES, actions: ENTITY_ACTIONS }));
    expect(now).toEqual(JSON.parse(fixture('entity-types.json')));
  });
});

describe('the tables', () => {
  it('read every flag and the nullable mark', () => {
    const inner = complexType('Inner', 'A  Int32?');
    const type = entityType({ name: 'T', set: 'Assets', idTag: 't' }, `
      Id  String   server
      B   String?  create required max=12
      C   String?  list
      D   String?  complex=Inner
      E   String   collection=Inner
    `, `
      One   Assets
      Many  Files*
    `, { Inner: inner });
    expect(type).toEqual({
      name: 'T', set: 'Assets', idTag: 't', key: 'Id',
      properties: [
        { name: 'Id', type: 'Edm.String', nullable: false, serverOwned: true },
        { name: 'B', type: 'Edm.String', nullable: true, createOnly: true, required: true, maxLength: 12 },
        { name: 'C', type: 'Edm.String', nullable: true, primitiveCollection: true },
        { name: 'D', type: 'Edm.String', nullable: true, complex: { name: 'Inner', properties: [{ name: 'A', type: 'Edm.Int32', nullable: true }] } },
        { name: 'E', type: 'Edm.String', nullable: false, complexCollection: inner },
      ],
      navigation: [
        { name: 'One', target: 'Assets', many: false },
        { name: 'Many', target: 'Files', many: true },
      ],
    });
  });

  it('refuse what they cannot read, naming the place', () => {
    expect(() => complexType('X', 'A  Text')).toThrow(/X\.A: 'Text' is not an Edm primitive type/);
    expect(() => complexType('X', 'A  String  nullable')).toThrow(/X\.A: unknown flag 'nullable'/);
    expect(() => complexType('X', 'A  String  max=0')).toThrow(/unknown flag 'max=0'/);
    expect(() => complexType('X', 'A')).toThrow(/a property row is/);
    expect(() => complexType('X', 'A  String?  complex=Missing')).toThrow(/complex type 'Missing' was not given/);
    expect(() => entityType({ name: 'T', set: 'Assets' }, 'Id  String', 'Nav  Nowhere*')).toThrow(/T\.Nav: 'Nowhere' is not an entity set/);
    expect(() => entityType({ name: 'T', set: 'Assets' }, 'Id  String', 'Nav  Assets  extra')).toThrow(/a navigation row is/);
  });
});
