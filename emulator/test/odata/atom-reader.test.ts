import { describe, expect, it } from 'vitest';
import { AccessPolicy, Asset, AssetFile, ContentKey, Job, Locator, Task } from '../../src/odata/edm.js';
import { readAtomEntry, readLinkUri } from '../../src/odata/atom/index.js';
import { expectODataError, fixture } from '../fixtures/atom/support.js';

const ATOM = 'http://www.w3.org/2005/Atom';
const D = 'http://schemas.microsoft.com/ado/2007/08/dataservices';
const M = 'http://schemas.microsoft.com/ado/2007/08/dataservices/metadata';
const REL = `${D}/related/`;

/** A minimal .NET-style entry around the given m:properties content and entry children. */
function entry(properties: string, extra = ''): string {
  return `<entry xmlns="${ATOM}" xmlns:d="${D}" xmlns:m="${M}">${extra}<content type="application/xml"><m:properties>${properties}</m:properties></content></entry>`;
}

describe('readAtomEntry: bodies the .NET SDK (WCF) sent', () => {
  it('Asset create: server-owned defaults and m:null come through as text / null with their m:type', () => {
    const body = readAtomEntry(fixture('dotnet-asset-create.xml'), Asset);
    expect(body.links).toEqual([]);
    expect(body.properties).toEqual({
      AlternateId: { text: null },
      Created: { text: '0001-01-01T00:00:00', type: 'Edm.DateTime' },
      Id: { text: null },
      LastModified: { text: '0001-01-01T00:00:00', type: 'Edm.DateTime' },
      Name: { text: 'UploadSingleFile_4/11/2013 4:29:38 PM' },
      Options: { text: '0', type: 'Edm.Int32' },
      State: { text: '0', type: 'Edm.Int32' },
    });
  });

  it('File create: Int64 and Boolean typed values', () => {
    const { properties } = readAtomEntry(fixture('dotnet-file-create.xml'), AssetFile);
    expect(Object.keys(properties)).toHaveLength(14);
    expect(properties['ContentFileSize']).toEqual({ text: '0', type: 'Edm.Int64' });
    expect(properties['IsEncrypted']).toEqual({ text: 'false', type: 'Edm.Boolean' });
    expect(properties['ParentAssetId']).toEqual({ text: 'nb:cid:UUID:8551e702-a306-4ecc-a74b-47f7bfdcf7fa' });
    expect(properties['EncryptionKeyId']).toEqual({ text: null });
  });

  it('File MERGE: the full entity with an absolute <id>, which is ignored', () => {
    const { properties, links } = readAtomEntry(fixture('dotnet-file-merge.xml'), AssetFile);
    expect(links).toEqual([]);
    expect(properties['ContentFileSize']).toEqual({ text: '3186542', type: 'Edm.Int64' });
    expect(properties['Created']).toEqual({ text: '2013-04-11T16:29:49.067', type: 'Edm.DateTime' });
    expect(properties['Id']).toEqual({ text: 'nb:cid:UUID:f192f10b-6c65-dd41-851f-38521e12d9c5' });
  });

  it('AccessPolicy create: DurationInMinutes 720 as Edm.Double', () => {
    const { properties } = readAtomEntry(fixture('dotnet-accesspolicy-create.xml'), AccessPolicy);
    expect(properties['DurationInMinutes']).toEqual({ text: '720', type: 'Edm.Double' });
    expect(properties['Permissions']).toEqual({ text: '2', type: 'Edm.Int32' });
  });

  it('ContentKey create', () => {
    const { properties } = readAtomEntry(fixture('dotnet-contentkey-create.xml'), ContentKey);
    expect(properties['Id']).toEqual({ text: 'nb:kid:UUID:32e6efaf-5fba-4538-b115-9d1cefe43510' });
    expect(properties['ContentKeyType']).toEqual({ text: '1', type: 'Edm.Int32' });
    expect(properties['ProtectionKeyType']).toEqual({ text: '0', type: 'Edm.Int32' });
    expect((properties['EncryptedContentKey'] as { text: string }).text).toHaveLength(344);
  });

  it('Locator create: bound to Asset and AccessPolicy through navigation links, ids null', () => {
    const body = readAtomEntry(fixture('dotnet-locator-create.xml'), Locator);
    expect(body.links).toEqual([
      { navigation: 'AccessPolicy', href: "https://emu.restv2.local.test/api/AccessPolicies('nb%3Apid%3AUUID%3A9d971a4b-67e8-43bb-95df-db3466893df2')" },
      { navigation: 'Asset', href: "https://emu.restv2.local.test/api/Assets('nb%3Acid%3AUUID%3A8551e702-a306-4ecc-a74b-47f7bfdcf7fa')" },
    ]);
    expect(body.properties['AssetId']).toEqual({ text: null });
    expect(body.properties['AccessPolicyId']).toEqual({ text: null });
    expect(body.properties['StartTime']).toEqual({ text: null, type: 'Edm.DateTime' });
    expect(body.properties['ExpirationDateTime']).toEqual({ text: '0001-01-01T00:00:00', type: 'Edm.DateTime' });
    expect(body.properties['Type']).toEqual({ text: '1', type: 'Edm.Int32' });
  });

  it('Job create: InputMediaAssets link', () => {
    const body = readAtomEntry(fixture('dotnet-job-create.xml'), Job);
    expect(body.links).toEqual([{ navigation: 'InputMediaAssets', href: "https://media.windows.net/API/Assets('nb%3Acid%3AUUID%3A33662ded-f00b-4020-9fcf-4c4a22070c01')" }]);
    expect(body.properties['Name']).toEqual({ text: 'My MP4 to Smooth Streaming encoding job' });
    expect(body.properties['RunningDuration']).toEqual({ text: '0', type: 'Edm.Double' });
  });

  it('Task create: empty complex collections without m:type, an empty Id, escaped task XML', () => {
    const { properties } = readAtomEntry(fixture('dotnet-task-create.xml'), Task);
    expect(properties['ErrorDetails']).toEqual({ elements: [] });
    expect(properties['HistoricalEvents']).toEqual({ elements: [] });
    expect(properties['Id']).toEqual({ text: '' });
    const taskBody = (properties['TaskBody'] as { text: string }).text;
    expect(taskBody.startsWith('<?xml version="1.0" encoding="utf-16"?>\n<taskBody>')).toBe(true);
    expect(taskBody).toContain('<outputAsset assetCreationOptions="0" assetName="Output asset">JobOutputAsset(0)</outputAsset>');
  });

  it('properties newer SDKs send are read: job notification subscriptions, content key track identifiers', () => {
    const job = readAtomEntry(fixture('dotnet-job-create-with-notifications.xml'), Job);
    expect(job.properties['JobNotificationSubscriptions']).toMatchObject({ elements: expect.any(Array) });
    const key = readAtomEntry(fixture('dotnet-contentkey-create-trackidentifiers.xml'), ContentKey);
    expect(key.properties['TrackIdentifiers']).toEqual({ text: null });
  });
});

describe('readAtomEntry: bodies the Java SDK (JAXB) sent', () => {
  it('ContentKey create with ns2:/ns3: prefixes and no m:type', () => {
    const { properties, links } = readAtomEntry(fixture('java-contentkey-create.xml'), ContentKey);
    expect(links).toEqual([]);
    expect(Object.keys(properties)).toEqual(['Id', 'ContentKeyType', 'EncryptedContentKey', 'ProtectionKeyId', 'Checksum']);
    expect(properties['ContentKeyType']).toEqual({ text: '1' });
    expect(properties['Checksum']).toEqual({ text: 'dPqUmbQLkEM=' });
  });

  it('Asset create', () => {
    expect(readAtomEntry(fixture('java-asset-create.xml'), Asset).properties).toEqual({
      Name: { text: 'testAssetUploadWithEncryption' },
      Options: { text: '1' },
    });
  });

  it('AccessPolicy create: DurationInMinutes 10.0', () => {
    expect(readAtomEntry(fixture('java-accesspolicy-create.xml'), AccessPolicy).properties).toEqual({
      Name: { text: 'uploadAccessPolicy' },
      DurationInMinutes: { text: '10.0' },
      Permissions: { text: '2' },
    });
  });

  it('Locator create with ids instead of links', () => {
    const body = readAtomEntry(fixture('java-locator-create.xml'), Locator);
    expect(body.links).toEqual([]);
    expect(body.properties['AssetId']).toEqual({ text: 'nb:cid:UUID:8551e702-a306-4ecc-a74b-47f7bfdcf7fa' });
  });

  it('File MERGE with ns3:/ns4: prefixes and an IV above 2^63', () => {
    const { properties } = readAtomEntry(fixture('java-file-merge.xml'), AssetFile);
    expect(properties['InitializationVector']).toEqual({ text: '17329945390637285139' });
    expect(properties['IsEncrypted']).toEqual({ text: 'true' });
    expect(properties['ContentFileSize']).toEqual({ text: '1048576' });
  });

  it('Job create: the link href carries the raw id, passed through as sent', () => {
    const body = readAtomEntry(fixture('java-job-create.xml'), Job);
    expect(body.links).toEqual([{ navigation: 'InputMediaAssets', href: "http://127.0.0.1:10010/api/Assets('nb:cid:UUID:8551e702-a306-4ecc-a74b-47f7bfdcf7fa')" }]);
    expect(body.properties).toEqual({ Name: { text: 'StorageDecryptionJob' }, Priority: { text: '3' } });
  });
});

describe('readAtomEntry: bodies the PHP SDK sent', () => {
  it('File create: atom:/meta:/data: prefixes redeclared on every element, boolean as "1"', () => {
    const { properties } = readAtomEntry(fixture('php-file-create.xml'), AssetFile);
    expect(properties['IsEncrypted']).toEqual({ text: '1' });
    expect(properties['InitializationVector']).toEqual({ text: 'MTIzNDU2Nzg=' });
    expect(Object.keys(properties)).toHaveLength(8);
  });
});

describe('readLinkUri', () => {
  it('reads the Java and PHP $links bodies', () => {
    expect(readLinkUri(fixture('java-links-uri.xml'))).toBe("http://127.0.0.1:10010/api/ContentKeys('nb%3Akid%3AUUID%3A5f0b4a53-63ad-4f9c-9fd0-0d5e3d28a4c1')");
    expect(readLinkUri(fixture('php-links-uri.xml'))).toBe("https://emu.restv2.local.test/api/ContentKeys('nb%3Akid%3AUUID%3A5f0b4a53-63ad-4f9c-9fd0-0d5e3d28a4c1')");
  });

  it('tolerates a <links> wrapper with exactly one <uri>, and surrounding whitespace', () => {
    expect(readLinkUri(`<links xmlns="${D}">\n  <uri> http://h/api/ContentKeys('k') </uri>\n</links>`)).toBe("http://h/api/ContentKeys('k')");
    expectODataError(() => readLinkUri(`<links xmlns="${D}"><uri>a</uri><uri>b</uri></links>`), 400, 'exactly one <uri>');
    expectODataError(() => readLinkUri(`<links xmlns="${D}"/>`), 400, 'exactly one <uri>');
  });

  it('refuses a <uri> in the wrong namespace, an empty one, or one with markup', () => {
    expectODataError(() => readLinkUri('<uri>http://h/api/ContentKeys(\'k\')</uri>'), 400, `namespace ${D}`, 'no namespace');
    expectODataError(() => readLinkUri(`<uri xmlns="${M}">x</uri>`), 400, `namespace ${D}`);
    expectODataError(() => readLinkUri(`<uri xmlns="${D}">  </uri>`), 400, 'empty');
    expectODataError(() => readLinkUri(`<uri xmlns="${D}"><a/></uri>`), 400, 'only the URL');
  });
});

describe('readAtomEntry: namespaces are resolved, not matched by prefix', () => {
  const expected = { Name: { text: 'n' }, Options: { text: '1', type: 'Edm.Int32' } };

  it('default namespaces on each level', () => {
    const xml = `<entry xmlns="${ATOM}"><content type="application/xml"><properties xmlns="${M}"><Name xmlns="${D}">n</Name><Options xmlns="${D}" xmlns:x="${M}" x:type="Edm.Int32">1</Options></properties></content></entry>`;
    expect(readAtomEntry(xml, Asset).properties).toEqual(expected);
  });

  it('arbitrary prefixes, Atom itself prefixed', () => {
    const xml = `<a:entry xmlns:a="${ATOM}" xmlns:q="${D}" xmlns:z="${M}"><a:content type="application/xml"><z:properties><q:Name>n</q:Name><q:Options z:type="Edm.Int32">1</q:Options></z:properties></a:content></a:entry>`;
    expect(readAtomEntry(xml, Asset).properties).toEqual(expected);
  });

  it('m:properties outside <content>, as in media-link entries', () => {
    const xml = `<entry xmlns="${ATOM}" xmlns:d="${D}" xmlns:m="${M}"><content type="video/mp4" src="x"/><m:properties><d:Name>n</d:Name></m:properties></entry>`;
    // A media-link <content> has no properties, and a non-XML type there is not an error.
    expect(() => readAtomEntry(xml, Asset)).toThrow(/application\/xml/);
    const mle = `<entry xmlns="${ATOM}" xmlns:d="${D}" xmlns:m="${M}"><m:properties><d:Name>n</d:Name></m:properties></entry>`;
    expect(readAtomEntry(mle, Asset).properties).toEqual({ Name: { text: 'n' } });
  });

  it('ignores title, updated, author, id, category, unknown extensions and comments', () => {
    const xml = entry(
      '<!-- c --><d:Name>n</d:Name>',
      `<id>http://x/api/Assets('a')</id><title type="text">t</title><updated>2013-01-01T00:00:00Z</updated><author><name>me</name></author><category term="x" scheme="y"/><x:ext xmlns:x="urn:x"><x:y/></x:ext><link rel="edit" href="Assets('a')"/>`,
    );
    expect(readAtomEntry(xml, Asset)).toEqual({ properties: { Name: { text: 'n' } }, links: [] });
  });

  it('an entry without properties is empty, not an error (a Job bound only by links)', () => {
    const xml = `<entry xmlns="${ATOM}"><link rel="${REL}InputMediaAssets" href="Assets('a')"/><link rel="${REL}InputMediaAssets" href="Assets('b')"/></entry>`;
    expect(readAtomEntry(xml, Job)).toEqual({
      properties: {},
      links: [
        { navigation: 'InputMediaAssets', href: "Assets('a')" },
        { navigation: 'InputMediaAssets', href: "Assets('b')" },
      ],
    });
  });

  it('keeps text exactly: whitespace, entities, character references, CDATA, non-ASCII', () => {
    const xml = entry(`<d:Name>  a &amp; b &lt;c&gt; &#x1F600; &#233; <![CDATA[<raw & cdata>]]> ü\n</d:Name>`);
    expect(readAtomEntry(xml, Asset).properties['Name']).toEqual({ text: '  a & b <c> 😀 é <raw & cdata> ü\n' });
    expect(readAtomEntry(Buffer.from(`\uFEFF${xml}`, 'utf8'), Asset).properties['Name']).toEqual({ text: '  a & b <c> 😀 é <raw & cdata> ü\n' });
  });

  it('reads complex collections element by element', () => {
    const xml = entry(
      `<d:ErrorDetails m:type="Collection(Microsoft.Cloud.Media.Vod.Rest.Data.Models.ErrorDetail)"><d:element><d:Code>E1</d:Code><d:Message>boom</d:Message></d:element><d:element m:type="Microsoft.Cloud.Media.Vod.Rest.Data.Models.ErrorDetail"><d:Code m:null="true"/></d:element></d:ErrorDetails>` +
        `<d:HistoricalEvents><d:element><d:TimeStamp m:type="Edm.DateTime">2013-04-11T16:29:41.0515166Z</d:TimeStamp></d:element></d:HistoricalEvents>`,
    );
    expect(readAtomEntry(xml, Task).properties).toEqual({
      ErrorDetails: { elements: [{ Code: 'E1', Message: 'boom' }, { Code: null }], type: 'Collection(Microsoft.Cloud.Media.Vod.Rest.Data.Models.ErrorDetail)' },
      HistoricalEvents: { elements: [{ TimeStamp: '2013-04-11T16:29:41.0515166Z' }] },
    });
    expect(readAtomEntry(entry('<d:ErrorDetails m:null="true"/>'), Task).properties['ErrorDetails']).toEqual({ text: null });
  });
});

describe('readAtomEntry: refusals', () => {
  it('a root other than Atom <entry>, naming the expected namespace', () => {
    expectODataError(() => readAtomEntry(`<feed xmlns="${ATOM}"/>`, Asset), 400, 'Atom entry', ATOM, '<feed>');
    expectODataError(() => readAtomEntry('<entry><content/></entry>', Asset), 400, `namespace ${ATOM}`, 'no namespace');
    expectODataError(() => readAtomEntry(`<entry xmlns="${D}"/>`, Asset), 400, `namespace ${ATOM}`, `the namespace ${D}`);
  });

  it('properties in the wrong namespace, naming the expected one', () => {
    expectODataError(() => readAtomEntry(`<entry xmlns="${ATOM}" xmlns:m="${M}"><content type="application/xml"><m:properties><Name>n</Name></m:properties></content></entry>`, Asset), 400, `<Name> must be in the namespace ${D}`, `found the namespace ${ATOM}`);
    expectODataError(() => readAtomEntry(`<a:entry xmlns:a="${ATOM}" xmlns:m="${M}"><a:content type="application/xml"><m:properties><Name>n</Name></m:properties></a:content></a:entry>`, Asset), 400, `namespace ${D}`, 'found no namespace');
    expectODataError(() => readAtomEntry(`<entry xmlns="${ATOM}" xmlns:m="${M}"><content type="application/xml"><m:properties><m:Name>n</m:Name></m:properties></content></entry>`, Asset), 400, `namespace ${D}`, M);
    expectODataError(() => readAtomEntry(`<entry xmlns="${ATOM}" xmlns:d="${D}"><content type="application/xml"><d:properties><d:Name>n</d:Name></d:properties></content></entry>`, Asset), 400, `namespace ${M}`);
  });

  it('m:null / m:type in a namespace other than metadata', () => {
    expectODataError(() => readAtomEntry(entry('<d:Name null="true"/>'), Asset), 400, `namespace ${M}`, 'null');
    expectODataError(() => readAtomEntry(entry('<d:Options d:type="Edm.Int32">1</d:Options>'), Asset), 400, `namespace ${M}`, 'd:type');
    expectODataError(() => readAtomEntry(entry('<d:Name m:null="yes"/>'), Asset), 400, 'm:null must be');
  });

  it('an unknown property, with the service wording and the name', () => {
    const err = expectODataError(() => readAtomEntry(entry('<d:Name>n</d:Name><d:Colour>red</d:Colour>'), Asset), 400, "Parsing request content failed due to: Make sure to only use property names that are defined by the type", "'Colour'", 'Asset');
    expect(err.message).toMatch(/line 1, column \d+/);
    expectODataError(() => readAtomEntry(entry('<d:ErrorDetails><d:element><d:Severity>x</d:Severity></d:element></d:ErrorDetails>'), Task), 400, "'Severity'", 'ErrorDetail');
  });

  it('an unknown navigation link and a link without href or with inline content', () => {
    expectODataError(() => readAtomEntry(entry('', `<link rel="${REL}Owner" href="Assets('a')"/>`), Locator), 400, "'Owner'", 'navigation property');
    expectODataError(() => readAtomEntry(entry('', `<link rel="${REL}Asset"/>`), Locator), 400, 'no href');
    expectODataError(() => readAtomEntry(entry('', `<link rel="${REL}Asset" href="Assets('a')"><m:inline><entry/></m:inline></link>`), Locator), 400, 'Deep insert');
  });

  it('m:type inconsistent with the model', () => {
    expectODataError(() => readAtomEntry(entry('<d:Name m:type="Edm.Int32">5</d:Name>'), Asset), 400, 'm:type="Edm.Int32"', 'Name', 'Edm.String');
    expectODataError(() => readAtomEntry(entry('<d:ContentFileSize m:type="Edm.Int32">5</d:ContentFileSize>'), AssetFile), 400, 'Edm.Int64');
    expectODataError(() => readAtomEntry(entry('<d:ErrorDetails m:type="Collection(Edm.String)"/>'), Task), 400, 'Collection(Microsoft.Cloud.Media.Vod.Rest.Data.Models.ErrorDetail)');
    expectODataError(() => readAtomEntry(entry('<d:ErrorDetails><d:element m:type="X.Y"/></d:ErrorDetails>'), Task), 400, 'm:type="X.Y"');
    expectODataError(() => readAtomEntry(entry('<d:HistoricalEvents><d:element><d:TimeStamp m:type="Edm.String">x</d:TimeStamp></d:element></d:HistoricalEvents>'), Task), 400, 'HistoricalEvents/TimeStamp', 'Edm.DateTime');
  });

  it('structural nonsense inside properties', () => {
    expectODataError(() => readAtomEntry(entry('<d:Name>a</d:Name><d:Name>b</d:Name>'), Asset), 400, 'more than once');
    expectODataError(() => readAtomEntry(entry('<d:Name><d:x/></d:Name>'), Asset), 400, 'primitive');
    expectODataError(() => readAtomEntry(entry('<d:Name m:null="true">x</d:Name>'), Asset), 400, 'm:null="true" and a value');
    expectODataError(() => readAtomEntry(entry('loose text<d:Name>a</d:Name>'), Asset), 400, 'Unexpected text');
    expectODataError(() => readAtomEntry(entry('<d:ErrorDetails><d:item/></d:ErrorDetails>'), Task), 400, '<d:element>');
    expectODataError(() => readAtomEntry(entry('<d:ErrorDetails>text</d:ErrorDetails>'), Task), 400, 'Unexpected text');
    const twice = `<entry xmlns="${ATOM}" xmlns:m="${M}"><content type="application/xml"><m:properties/></content><m:properties/></entry>`;
    expectODataError(() => readAtomEntry(twice, Asset), 400, 'more than one m:properties');
    expectODataError(() => readAtomEntry(`<entry xmlns="${ATOM}"><content type="application/xml"><foo/></content></entry>`, Asset), 400, 'may only contain m:properties');
    expectODataError(() => readAtomEntry(`<entry xmlns="${ATOM}"><content type="text/plain">hello</content></entry>`, Asset), 400, 'application/xml');
  });
});
