import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@pdm/testkit';
import { describe, expect, it } from 'vitest';

/** Every environment variable a program reads, found in the option specs (`env: 'NAME'`). */
function envNames(): string[] {
  const files = ['packages', 'services'].flatMap((top) =>
    readdirSync(join(REPO_ROOT, top)).flatMap((pkg) => {
      const src = join(REPO_ROOT, top, pkg, 'src');
      try {
        return readdirSync(src)
          .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
          .map((f) => join(src, f));
      } catch {
        return [];
      }
    }),
  );
  const names = new Set<string>();
  for (const file of files)
    for (const m of readFileSync(file, 'utf8').matchAll(/\benv: '([A-Z][A-Z0-9_]+)'/g))
      names.add(m[1] as string);
  return [...names].sort();
}

describe('configuration docs', () => {
  const names = envNames();

  it('finds the programs’ variables', () => {
    expect(names).toContain('MQTT_URL');
    expect(names).toContain('MODEL_PATH');
    expect(names.length).toBeGreaterThan(50);
  });

  it('lists every variable in .env.example and in the README’s configuration table', () => {
    const example = readFileSync(join(REPO_ROOT, '.env.example'), 'utf8');
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    expect(names.filter((n) => !new RegExp(`^#? ?${n}=`, 'm').test(example))).toEqual([]);
    expect(names.filter((n) => !readme.includes(`\`${n}\``))).toEqual([]);
  });

  it('lists in .env.example every variable docker-compose.yml takes from .env', () => {
    const example = readFileSync(join(REPO_ROOT, '.env.example'), 'utf8');
    const compose = readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')
      .split('\n')
      .filter((line) => !/^\s*#/.test(line))
      .join('\n');
    const used = [...new Set([...compose.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1] as string))];
    expect(used).toContain('DASHBOARD_USER');
    expect(used.filter((n) => !new RegExp(`^#? ?${n}=`, 'm').test(example))).toEqual([]);
  });
});
