import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { batchBody, readBatchResponse } from '../../../../client/src/rest/batch-wire.js';
import { entityPath, startTestEmulator, type JsonBody, type TestEmulator } from '../../../../test/support/emulator.js';
import { downloadAsset, getJob, jobIdOf, listOf, postJob, sample, STORAGE_DECRYPTION, taskBody, uploadEncryptedAsset, type ClearFile, type JobForm } from '../../helpers/jobs-fixtures.js';

/**
 * Jobs on the simulated encoders end to end, against real Azurite over real HTTP: a
 * storage-encrypted upload as the SDKs do it, a Media Encoder Standard or Windows Azure Media
 * Encoder task in each body form, and the output asset read back: its files' names and types,
 * their bytes (each media file a copy of the clear input), the manifests listing them, and
 * ParentAssets leading back to the input. Progression is `immediate`.
 */

const MES = 'nb:mpid:UUID:ff4df607-d419-42f0-bc17-a481b1331e56';
const WAME = 'nb:mpid:UUID:2e7aa8f3-4961-4e0c-b4db-0e0439e524f5';
const S = { Scheduled: 1, Processing: 2, Finished: 3, Error: 4, Canceled: 5 };

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

const encode = (processor: string, preset: string, assetName = 'Encoded') => ({ MediaProcessorId: processor, Configuration: preset, TaskBody: taskBody({ assetName }) });

async function onlyTask(jobId: string): Promise<JsonBody> {
  const tasks = await listOf(emu, `${entityPath('Jobs', jobId)}/Tasks`);
  expect(tasks).toHaveLength(1);
  return tasks[0]!;
}

async function outputOf(jobId: string, index = 0): Promise<JsonBody> {
  return (await listOf(emu, `${entityPath('Jobs', jobId)}/OutputMediaAssets`))[index]!;
}

async function filesOf(assetId: string): Promise<JsonBody[]> {
  return listOf(emu, `${entityPath('Assets', assetId)}/Files`);
}

const MES_720P = ['1280x720_3400', '960x540_2250', '960x540_1500', '640x360_1000', '640x360_650', '320x180_400'];

describe('Media Encoder Standard, "H264 Multiple Bitrate 720p"', () => {
  const INPUT: ClearFile[] = [{ name: 'movie clip.mp4', data: sample(300_001) }];

  for (const form of ['verbose', 'minimal', 'atom'] as const satisfies readonly JobForm[]) {
    it(`${form} body: Finished; six MP4s named by the preset, each the clear input; manifests list them; ParentAssets is the input`, async () => {
      const input = await uploadEncryptedAsset(emu, INPUT);
      const posted = await postJob(emu, [input.assetId], form, { name: `mes-${form}`, tasks: [encode(MES, 'H264 Multiple Bitrate 720p')] });
      expect(posted.status, posted.text).toBe(201);
      const jobId = jobIdOf(posted);

      const job = await getJob(emu, jobId);
      expect(job).toMatchObject({ State: S.Finished, Name: `mes-${form}` });
      expect(job.StartTime).toEqual(expect.any(String));
      expect(job.EndTime).toEqual(expect.any(String));
      const task = await onlyTask(jobId);
      expect(task).toMatchObject({ State: S.Finished, Progress: 100, ErrorDetails: [], MediaProcessorId: MES, Configuration: 'H264 Multiple Bitrate 720p' });
      expect(task.HistoricalEvents.map((e: JsonBody) => e.Code)).toEqual(['Queued', 'Scheduled', 'Processing', 'Downloading', 'Finished']);
      expect(task.PerfMessage).toContain('not transcoded');
      expect(task.RunningDuration).toBeGreaterThanOrEqual(0);

      const output = await outputOf(jobId);
      expect(output.Name).toBe('Encoded');
      const outputId = String(output.Id);
      const mp4s = MES_720P.map((layer) => `movie clip_${layer}.mp4`);
      const guid = input.assetId.replace('nb:cid:UUID:', '');
      const files = await filesOf(outputId);
      expect(files.map((f) => f.Name).sort()).toEqual([...mp4s, 'movie clip_manifest.xml', `${guid}_metadata.xml`, 'movie clip.ism', 'movie clip.ismc'].sort());
      for (const file of files) {
        expect(file).toMatchObject({ IsEncrypted: false, EncryptionScheme: null, InitializationVector: null, ParentAssetId: outputId });
        expect(file.IsPrimary, file.Name).toBe(file.Name === 'movie clip.ism');
        expect(file.MimeType, file.Name).toBe(String(file.Name).endsWith('.mp4') ? 'video/mp4' : String(file.Name).endsWith('.xml') ? 'application/xml' : 'application/octet-stream');
      }

      const bytes = await downloadAsset(emu, outputId);
      for (const name of mp4s) expect(bytes.get(name)!.equals(INPUT[0]!.data), `${name} is the clear input`).toBe(true);
      const manifest = bytes.get('movie clip_manifest.xml')!.toString('utf8');
      for (const name of mp4s) expect(manifest).toContain(`<AssetFile Name="${name}" Size="${INPUT[0]!.data.length}"`);
      expect(manifest).toContain('byte copy of the input file');
      const ism = bytes.get('movie clip.ism')!.toString('utf8');
      for (const name of mp4s) expect(ism).toContain(`<video src="${name}"`);
      expect(bytes.get('movie clip.ismc')!.toString('utf8')).toContain('QualityLevels="6"');
      expect(bytes.get(`${guid}_metadata.xml`)!.toString('utf8')).toContain('<AssetFile Name="movie clip.mp4"');

      expect((await listOf(emu, `${entityPath('Assets', outputId)}/ParentAssets`)).map((a) => a.Id)).toEqual([input.assetId]);
      expect(await listOf(emu, `${entityPath('Assets', input.assetId)}/ParentAssets`)).toEqual([]);
    });
  }

  it('the preset name in another letter case; "Adaptive Streaming" writes five layers; {Basename} is 32 characters at most', async () => {
    const input = await uploadEncryptedAsset(emu, [{ name: `${'x'.repeat(40)}.mov`, data: sample(1000) }]);
    const jobId = jobIdOf(await postJob(emu, [input.assetId], 'minimal', { tasks: [encode(MES, 'adaptive streaming')] }));
    expect((await getJob(emu, jobId)).State).toBe(S.Finished);
    const names = (await filesOf(String((await outputOf(jobId)).Id))).map((f) => String(f.Name));
    expect(names.filter((n) => n.endsWith('.mp4')).sort()).toEqual(MES_720P.slice(0, 5).map((l) => `${'x'.repeat(32)}_${l}.mp4`).sort());
  });

  it('a single-bitrate preset writes one MP4 and no streaming manifests; a custom JSON preset one MP4 per H264Layer', async () => {
    const input = await uploadEncryptedAsset(emu, [{ name: 'a.mp4', data: sample(500) }]);
    const custom = JSON.stringify({ Version: 1.0, Codecs: [{ Type: 'H264Video', H264Layers: [{ Bitrate: 800, Width: '640', Height: '360' }, { Bitrate: 300, Width: 320, Height: 180 }] }] });
    const jobId = jobIdOf(await postJob(emu, [input.assetId], 'minimal', { tasks: [encode(MES, 'H264 Single Bitrate 720p', 'single'), { ...encode(MES, custom, 'custom'), TaskBody: taskBody({ assetName: 'custom', output: 'JobOutputAsset(1)' }) }] }));
    expect((await getJob(emu, jobId)).State).toBe(S.Finished);
    const single = (await filesOf(String((await outputOf(jobId, 0)).Id))).map((f) => String(f.Name)).sort();
    expect(single.filter((n) => !n.endsWith('_metadata.xml'))).toEqual(['a_1280x720_4500.mp4', 'a_manifest.xml']);
    const customNames = (await filesOf(String((await outputOf(jobId, 1)).Id))).map((f) => String(f.Name));
    expect(customNames.filter((n) => n.endsWith('.mp4')).sort()).toEqual(['a_320x180_300.mp4', 'a_640x360_800.mp4']);
  });
});

describe('Windows Azure Media Encoder', () => {
  it('"H.264 256k DSL CBR" (the Java tests\' preset): one MP4 and the manifest; the clear input under the encoder\'s name', async () => {
    const data = sample(70_000);
    const input = await uploadEncryptedAsset(emu, [{ name: 'clip.wmv', data }]);
    const jobId = jobIdOf(await postJob(emu, [input.assetId], 'atom', { tasks: [encode(WAME, 'H.264 256k DSL CBR')] }));
    expect((await getJob(emu, jobId)).State).toBe(S.Finished);
    const outputId = String((await outputOf(jobId)).Id);
    const files = await filesOf(outputId);
    expect(files.map((f) => f.Name).sort()).toEqual(['clip_H264_256kbps_AAC_und_ch2_64kbps.mp4', 'clip_manifest.xml']);
    expect(files.find((f) => f.Name === 'clip_H264_256kbps_AAC_und_ch2_64kbps.mp4')!.IsPrimary).toBe(true);
    expect((await downloadAsset(emu, outputId)).get('clip_H264_256kbps_AAC_und_ch2_64kbps.mp4')!.equals(data)).toBe(true);
  });

  it('an MP4 set adds the audio-only renditions and the .ism the REST get-started article shows', async () => {
    const input = await uploadEncryptedAsset(emu, [{ name: 'BigBuckBunny.mp4', data: sample(2000) }]);
    const jobId = jobIdOf(await postJob(emu, [input.assetId], 'verbose', { tasks: [encode(WAME, 'H264 Adaptive Bitrate MP4 Set 720p')] }));
    expect((await getJob(emu, jobId)).State).toBe(S.Finished);
    const names = (await filesOf(String((await outputOf(jobId)).Id))).map((f) => String(f.Name));
    for (const n of [3400, 2250, 1500, 1000, 650, 400]) expect(names).toContain(`BigBuckBunny_H264_${n}kbps_AAC_und_ch2_96kbps.mp4`);
    expect(names).toEqual(expect.arrayContaining(['BigBuckBunny_AAC_und_ch2_96kbps.mp4', 'BigBuckBunny_AAC_und_ch2_56kbps.mp4', 'BigBuckBunny.ism', 'BigBuckBunny_manifest.xml']));
  });
});

describe('errors as the encoders gave them: the job ends in Error with one ErrorDetail', () => {
  async function failedTask(files: ClearFile[], task: JsonBody, upload: Parameters<typeof uploadEncryptedAsset>[2] = {}): Promise<JsonBody> {
    const input = await uploadEncryptedAsset(emu, files, upload);
    const jobId = jobIdOf(await postJob(emu, [input.assetId], 'minimal', { tasks: [task] }));
    expect((await getJob(emu, jobId)).State).toBe(S.Error);
    const t = await onlyTask(jobId);
    expect(t.State).toBe(S.Error);
    expect(t.ErrorDetails).toHaveLength(1);
    // Nothing half-written is left in the output.
    expect(await filesOf(String((await outputOf(jobId)).Id))).toEqual([]);
    return t;
  }

  it('a preset the encoder does not know: ConfigurationUnsupported, naming the presets it knows', async () => {
    const t = await failedTask([{ name: 'a.mp4', data: sample(100) }], encode(MES, 'H264 Multiple Bitrate 9000p'));
    expect(t.ErrorDetails[0]).toMatchObject({ Code: 'ConfigurationUnsupported', Message: expect.stringContaining('H264 Multiple Bitrate 720p') });
    const wame = await failedTask([{ name: 'a.mp4', data: sample(100) }], encode(WAME, 'Adaptive Streaming'));
    expect(wame.ErrorDetails[0]).toMatchObject({ Code: 'ConfigurationUnsupported', Message: expect.stringContaining('H.264 256k DSL CBR') });
    const json = await failedTask([{ name: 'a.mp4', data: sample(100) }], encode(MES, '{"Codecs": ['));
    expect(json.ErrorDetails[0].Message).toContain('not valid JSON');
  });

  it("an input with no media file (the Java tests' 6-byte .bin): ContentUnsupported, and at least five HistoricalEvents", async () => {
    const t = await failedTask([{ name: 'data.bin', data: sample(6), mimeType: 'application/octet-stream' }], encode(WAME, 'H.264 256k DSL CBR'));
    expect(t.ErrorDetails[0]).toMatchObject({ Code: 'ContentUnsupported', Message: expect.stringContaining("'data.bin'") });
    expect(t.HistoricalEvents.length).toBeGreaterThanOrEqual(5);
    expect(t.HistoricalEvents[0]).toEqual({ Code: 'Queued', Message: null, TimeStamp: expect.any(String) });
  });

  it('a storage-encrypted input whose key the encoder cannot find: DownloadNotAccessible, saying why', async () => {
    const t = await failedTask([{ name: 'a.mp4', data: sample(100) }], encode(MES, 'Adaptive Streaming'), { link: false, fileKeyId: false });
    expect(t.ErrorDetails[0]).toMatchObject({ Code: 'DownloadNotAccessible', Message: expect.stringContaining('NoContentKey') });
  });
});

describe('several tasks', () => {
  it('chained: MES writes JobOutputAsset(0), Storage Decryption reads it into JobOutputAsset(1); each output has its parent', async () => {
    const data = sample(10_000);
    const input = await uploadEncryptedAsset(emu, [{ name: 'in.mp4', data }]);
    const tasks = [encode(MES, 'H264 Single Bitrate 720p', 'encoded'), { MediaProcessorId: STORAGE_DECRYPTION, TaskBody: taskBody({ input: 'JobOutputAsset(0)', output: 'JobOutputAsset(1)', assetName: 'copied' }) }];
    const jobId = jobIdOf(await postJob(emu, [input.assetId], 'minimal', { tasks }));
    expect((await getJob(emu, jobId)).State).toBe(S.Finished);
    const [encoded, copied] = await listOf(emu, `${entityPath('Jobs', jobId)}/OutputMediaAssets`);
    expect([encoded!.Name, copied!.Name]).toEqual(['encoded', 'copied']);
    expect((await downloadAsset(emu, String(copied!.Id))).get('in_1280x720_4500.mp4')!.equals(data)).toBe(true);
    expect((await listOf(emu, `${entityPath('Assets', String(copied!.Id))}/ParentAssets`)).map((a) => a.Id)).toEqual([encoded!.Id]);
    expect((await listOf(emu, `${entityPath('Assets', String(encoded!.Id))}/ParentAssets`)).map((a) => a.Id)).toEqual([input.assetId]);
  });

  it('a failing first task: the second does not run (Canceled) and the job is Error', async () => {
    const input = await uploadEncryptedAsset(emu, [{ name: 'in.mp4', data: sample(100) }]);
    const tasks = [encode(MES, 'no such preset', 'a'), { ...encode(WAME, 'H.264 256k DSL CBR', 'b'), TaskBody: taskBody({ input: 'JobOutputAsset(0)', output: 'JobOutputAsset(1)', assetName: 'b' }) }];
    const jobId = jobIdOf(await postJob(emu, [input.assetId], 'minimal', { tasks }));
    expect((await getJob(emu, jobId)).State).toBe(S.Error);
    expect((await listOf(emu, `${entityPath('Jobs', jobId)}/Tasks`)).map((t) => t.State)).toEqual([S.Error, S.Canceled]);
  });
});

describe('$batch, as the SDKs create jobs', () => {
  it('the Java SDK: POST Jobs and POST $1/Tasks in one changeset, a WAME task with its preset; the job runs', async () => {
    const input = await uploadEncryptedAsset(emu, [{ name: 'clip.mp4', data: sample(3000) }]);
    const boundary = 'batch_encoders';
    const java = { 'Content-Type': 'application/atom+xml;type=entry', DataServiceVersion: '3.0;NetFx', MaxDataServiceVersion: '3.0;NetFx' };
    const head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><entry xmlns="http://www.w3.org/2005/Atom" xmlns:ns2="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" xmlns:ns3="http://schemas.microsoft.com/ado/2007/08/dataservices">';
    const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const job =
      `${head}<link href="${emu.url}Assets('${input.assetId}')" rel="http://schemas.microsoft.com/ado/2007/08/dataservices/related/InputMediaAssets" type="application/atom+xml;type=feed" title="InputMediaAssets"/>` +
      '<content type="application/xml"><ns2:properties><ns3:Name>testJobPrefix_encode</ns3:Name></ns2:properties></content></entry>';
    const task =
      `${head}<content type="application/xml"><ns2:properties><ns3:Name>encode</ns3:Name><ns3:MediaProcessorId>${WAME}</ns3:MediaProcessorId><ns3:Configuration>H.264 256k DSL CBR</ns3:Configuration>` +
      `<ns3:TaskBody>${escape(taskBody({ assetName: 'JobOutputAsset(0)_testJobPrefix_encode' }))}</ns3:TaskBody></ns2:properties></content></entry>`;
    const res = await emu.ams('POST', '$batch', {
      body: batchBody(boundary, [
        {
          changeset: [
            { method: 'POST', url: `${emu.url}Jobs`, contentId: '1', headers: java, body: job },
            { method: 'POST', url: `${emu.url}$1/Tasks`, contentId: '2', headers: java, body: task },
          ],
        },
      ]),
      headers: { 'Content-Type': `multipart/mixed; boundary=${boundary}`, Accept: 'application/atom+xml' },
    });
    expect(res.status, res.text).toBe(202);
    const [parts] = readBatchResponse(res.headers.get('content-type'), res.text);
    const [jobCreated, taskCreated] = parts && 'changeset' in parts ? parts.changeset : [];
    expect([jobCreated?.status, taskCreated?.status], res.text).toEqual([201, 201]);
    const jobId = /<d:Id>([^<]+)<\/d:Id>/.exec(jobCreated!.body)![1]!;
    expect((await getJob(emu, jobId)).State).toBe(S.Finished);
    const output = await outputOf(jobId);
    expect(output.Name).toBe('JobOutputAsset(0)_testJobPrefix_encode');
    expect((await filesOf(String(output.Id))).map((f) => f.Name).sort()).toEqual(['clip_H264_256kbps_AAC_und_ch2_64kbps.mp4', 'clip_manifest.xml']);
  });
});

describe('reading an encode back in verbose JSON and Atom', () => {
  it("the task (PerfMessage, HistoricalEvents with the first Message null), the output's files and ParentAssets", async () => {
    const input = await uploadEncryptedAsset(emu, [{ name: 'clip.mp4', data: sample(4000) }]);
    const jobId = jobIdOf(await postJob(emu, [input.assetId], 'minimal', { tasks: [encode(WAME, 'H.264 256k DSL CBR')] }));
    expect((await getJob(emu, jobId)).State).toBe(S.Finished);
    const outputId = String((await outputOf(jobId)).Id);
    const VERBOSE = { Accept: 'application/json;odata=verbose' };
    const ATOM = { Accept: 'application/atom+xml' };

    const verboseTasks = await emu.ams('GET', `${entityPath('Jobs', jobId)}/Tasks`, { headers: VERBOSE });
    const task = verboseTasks.body.d.results[0];
    expect(task.PerfMessage).toContain('Simulated by ams-v2-emulator');
    expect(task.HistoricalEvents.__metadata.type).toBe('Collection(Microsoft.Cloud.Media.Vod.Rest.Data.Models.TaskHistoricalEvent)');
    expect(task.HistoricalEvents.results[0]).toMatchObject({ Code: 'Queued', Message: null });
    const verboseParents = await emu.ams('GET', `${entityPath('Assets', outputId)}/ParentAssets`, { headers: VERBOSE });
    expect(verboseParents.body.d.results.map((a: JsonBody) => a.Id)).toEqual([input.assetId]);

    const atomTasks = await emu.ams('GET', `${entityPath('Jobs', jobId)}/Tasks`, { headers: ATOM });
    expect(atomTasks.status).toBe(200);
    expect(atomTasks.text).toMatch(/<d:PerfMessage>Simulated by ams-v2-emulator[^<]*<\/d:PerfMessage>/);
    expect(atomTasks.text).toContain('<d:Code>Downloading</d:Code>');
    expect(atomTasks.text).toMatch(/<d:Code>Queued<\/d:Code><d:Message m:null="true" ?\/>/);
    const atomFiles = await emu.ams('GET', `${entityPath('Assets', outputId)}/Files`, { headers: ATOM });
    expect(atomFiles.text).toContain('<d:Name>clip_H264_256kbps_AAC_und_ch2_64kbps.mp4</d:Name>');
    const atomParents = await emu.ams('GET', `${entityPath('Assets', outputId)}/ParentAssets`, { headers: ATOM });
    expect(atomParents.text).toContain(`<d:Id>${input.assetId}</d:Id>`);
    const count = await emu.ams('GET', `${entityPath('Assets', outputId)}/ParentAssets/$count`);
    expect(count.text).toBe('1');
  });
});
