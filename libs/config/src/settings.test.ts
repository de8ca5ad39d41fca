import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, loadEnvironmentFiles, parseSettings, SettingsError, validateEnvironmentFile } from './index';

const section = z
  .strictObject({ size: z.number().int().min(1).default(3), mode: z.enum(['a', 'b']).default('a') })
  .superRefine((s, ctx) => {
    if (s.mode === 'b' && s.size < 2) ctx.addIssue({ code: 'custom', path: ['size'], message: 'expected at least 2 with mode "b"' });
  });

describe('parseSettings', () => {
  it('fills the section defaults, and parses its own output unchanged', () => {
    expect(parseSettings(section, undefined, 'Thing t/thing')).toEqual({ size: 3, mode: 'a' });
    const once = parseSettings(section, { mode: 'b' }, 'Thing t/thing');
    expect(parseSettings(section, once, 'Thing t/thing')).toEqual(once);
  });

  it('refuses bad settings naming the construct and every field, the section rules included', () => {
    const bad = () => parseSettings(section, { size: 0, mode: 'c' as 'a', extra: 1 } as never, 'Thing test/thing');
    expect(bad).toThrow(SettingsError);
    expect(bad).toThrow(/^Thing test\/thing: invalid settings \(3 problems\):\n {2}settings\.size: Too small/);
    try {
      bad();
    } catch (e) {
      expect((e as SettingsError).problems.map((p) => p.path)).toEqual(['settings.size', 'settings.mode', 'settings']);
      expect((e as SettingsError).problems[2].message).toBe('unknown field "extra"');
    }
    expect(() => parseSettings(section, { size: 1, mode: 'b' }, 'Thing test/thing')).toThrow('settings.size: expected at least 2 with mode "b"');
  });
});

describe('the generic environment file loader', () => {
  const spec = {
    schema: z.strictObject({ name: z.string(), promotesFrom: z.string().optional(), layer: z.strictObject({ cache: section.prefault({}) }).prefault({}) }),
    renamed: { 'layer.redis': 'layer.cache' },
  };

  it('refuses a renamed key with the new name, once, and still reports every other problem', () => {
    const { problems } = validateEnvironmentFile(spec, { name: 'x', layer: { redis: { size: 2 }, cache: { size: 0 } } }, 'environments/x.json');
    expect(problems.map((p) => `${p.file}: ${p.path}: ${p.message}`)).toEqual([
      'environments/x.json: layer.redis: renamed to "layer.cache" (README → Config migration): move this key\'s fields there',
      expect.stringMatching(/^environments\/x\.json: layer\.cache\.size: Too small/),
    ]);
  });

  it('accepts the new key', () => {
    expect(validateEnvironmentFile(spec, { name: 'x', layer: { cache: { size: 2 } } }, 'environments/x.json')).toEqual({ config: { name: 'x', layer: { cache: { size: 2, mode: 'a' } } }, problems: [] });
  });

  it('loads every file of a folder, checks promotesFrom and the spec\'s checks across files', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'awp-env-'));
    writeFileSync(path.join(dir, 'dev.json'), JSON.stringify({ name: 'dev' }));
    writeFileSync(path.join(dir, 'prod.json'), JSON.stringify({ name: 'prod', promotesFrom: 'dev' }));
    expect(loadEnvironmentFiles(spec, undefined, { dir }).map((e) => e.name)).toEqual(['dev', 'prod']);
    writeFileSync(path.join(dir, 'prod.json'), JSON.stringify({ name: 'prod', promotesFrom: 'qa' }));
    expect(() => loadEnvironmentFiles(spec, undefined, { dir, relativeTo: dir })).toThrow(ConfigError);
    expect(() => loadEnvironmentFiles(spec, undefined, { dir, relativeTo: dir })).toThrow('prod.json: promotesFrom: expected one of dev, prod, got "qa"');
    const acrossFiles = () => [{ file: 'dev.json', path: 'name', message: 'flagged' }];
    writeFileSync(path.join(dir, 'prod.json'), JSON.stringify({ name: 'prod' }));
    expect(() => loadEnvironmentFiles({ ...spec, acrossFiles }, undefined, { dir })).toThrow('dev.json: name: flagged');
  });
});
