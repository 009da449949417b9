import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planPreset, presetNames, PresetError } from '../../../src/jobs/encoders/presets.js';
import { clientManifest, outputManifest, serverManifest } from '../../../src/jobs/encoders/manifests.js';
import { parseXml } from '../../../src/odata/atom/xml-parse.js';
import type { ProcessorKind } from '../../../src/model/media-processor.js';

/** The simulated encoders' presets and manifests, without storage: names, layers, well-formed XML. */

const ENCODERS: ProcessorKind[] = ['media-encoder-standard', 'azure-media-encoder'];
const LIMITS = { maxDepth: 8, maxElements: 10_000, maxAttributes: 16, maxTextLength: 1 << 20 };

describe('planPreset', () => {
  it('"H264 Multiple Bitrate 720p": the six layers of the published preset, named {Basename}_{Width}x{Height}_{VideoBitrate}.mp4', () => {
    const plan = planPreset('media-encoder-standard', 'H264 Multiple Bitrate 720p');
    expect(plan.layers.map((l) => plan.fileName('BigBuckBunny', l))).toEqual([
      'BigBuckBunny_1280x720_3400.mp4',
      'BigBuckBunny_960x540_2250.mp4',
      'BigBuckBunny_960x540_1500.mp4',
      'BigBuckBunny_640x360_1000.mp4',
      'BigBuckBunny_640x360_650.mp4',
      'BigBuckBunny_320x180_400.mp4',
    ]);
    expect(plan.streamingManifests).toBe(true);
  });

  it('for every known preset and any base name: distinct media file names, each with the base name and a media extension', () => {
    const presets = ENCODERS.flatMap((kind) => presetNames(kind).map((name) => [kind, name] as const));
    fc.assert(
      fc.property(fc.constantFrom(...presets), fc.string({ minLength: 1, maxLength: 32 }), ([kind, name], basename) => {
        const plan = planPreset(kind, ` ${name.toUpperCase()} `);
        const names = [...plan.layers.map((l) => plan.fileName(basename, l)), ...plan.audioOnly.map((a) => `${basename}_${a}`)];
        expect(new Set(names).size).toBe(names.length);
        for (const n of names) {
          expect(n.startsWith(`${basename}_`)).toBe(true);
          expect(n).toMatch(/\.(mp4|ismv)$/);
        }
        expect(plan.name).toBe(name);
      }),
    );
  });

  it('a custom MES preset in JSON or XML: one layer per complete H264Layer; anything else is a PresetError', () => {
    const json = { Codecs: [{ Type: 'AACAudio' }, { Type: 'H264Video', H264Layers: [{ Bitrate: 1000, Width: 640, Height: 360 }, { Bitrate: 500 }] }] };
    expect(planPreset('media-encoder-standard', JSON.stringify(json)).layers).toEqual([{ width: 640, height: 360, kbps: 1000 }]);
    const xml = '<Preset><Encoding><H264Video><H264Layers><H264Layer><Bitrate>2000</Bitrate><Width>1280</Width><Height>720</Height></H264Layer></H264Layers></H264Video></Encoding></Preset>';
    expect(planPreset('media-encoder-standard', xml).layers).toEqual([{ width: 1280, height: 720, kbps: 2000 }]);
    for (const bad of ['Not A Preset', '{"Codecs":[]}', '{', '<Preset/>']) expect(() => planPreset('media-encoder-standard', bad), bad).toThrow(PresetError);
    expect(() => planPreset('azure-media-encoder', 'H264 Multiple Bitrate 720p')).toThrow(/known presets: H.264 256k DSL CBR/);
  });
});

describe('manifests', () => {
  it('are well-formed XML that lists every media file, whatever the names (escaped)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/[\u0000-\u001f\ud800-\udfff\ufffe\uffff]/.test(s)), { minLength: 1, maxLength: 6 }), (names) => {
        const plan = planPreset('media-encoder-standard', 'H264 Multiple Bitrate 720p');
        const files = names.map((name, i) => ({ name, size: i, layer: plan.layers[i % plan.layers.length]! }));
        for (const text of [outputManifest(plan, names[0]!, files, 'copied'), serverManifest(plan, '--x--', files, 'transcoded'), clientManifest(files)]) {
          const root = parseXml(text.replace(/^<\?xml[^>]*\?>/, ''), LIMITS);
          expect(root.local).toMatch(/AssetFiles|smil|SmoothStreamingMedia/);
        }
        const listed = parseXml(outputManifest(plan, 'in.mp4', files, 'copied').replace(/^<\?xml[^>]*\?>/, ''), LIMITS).children.map((c) => c.attributes.find((a) => a.local === 'Name')?.value);
        expect(listed).toEqual(names);
      }),
    );
  });
});
