import path from 'node:path';
import { loadEnvironmentFiles, validateEnvironmentFile, type ConfigProblem, type EnvironmentFileSpec, type LoadOptions } from '@awp/config';
import { parentZoneOf, zoneDelegationProblems } from './delegations';
import { environmentSchema, type EnvironmentConfig } from './schema';

/**
 * Keys renamed so that one concept has one name from the environment file to the construct and its outputs
 * (README → Config migration). The loader refuses the old key with the new one's name.
 */
export const RENAMED_KEYS: Readonly<Record<string, string>> = {
  'data.postgres': 'data.database',
  'data.redis': 'data.cache',
  'data.s3': 'data.buckets',
  'observability.postgresMaxConnections': 'observability.databaseMaxConnections',
};

/** One repository has one ID: a second value is a typo that would lock that environment's roles out. */
function repositoryIdProblems(configs: readonly EnvironmentConfig[], fileOf: (c: EnvironmentConfig) => string): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const c of configs) {
    const first = configs.find((o) => o.repository.toLowerCase() === c.repository.toLowerCase());
    for (const key of ['repositoryId', 'repositoryOwnerId'] as const) {
      if (first && first !== c && first[key] !== undefined && c[key] !== undefined && first[key] !== c[key]) {
        out.push({ file: fileOf(c), path: key, message: `expected ${first[key]} (as in ${first.name}.json for ${c.repository}), got ${c[key]}` });
      }
    }
  }
  return out;
}

/** The platform's environment files: the assembled schema, the renamed keys and the checks across files. */
export const ENVIRONMENT_FILES: EnvironmentFileSpec<EnvironmentConfig> = {
  schema: environmentSchema,
  renamed: RENAMED_KEYS,
  // Zones inside another environment's created zone must be delegated by it (./delegations.ts).
  acrossFiles: (configs, fileOf, all) => [...repositoryIdProblems(configs, fileOf), ...zoneDelegationProblems(configs, all, fileOf)],
  annotate: (config, all, folder) => {
    // Named from the folder, not the working directory: the name ends up in synthesized messages, which must not vary.
    const parentZone = parentZoneOf(config, all, (o) => `${path.basename(folder)}/${o.name}.json`);
    return parentZone ? { ...config, parentZone } : config;
  },
};

/** Validates already-parsed JSON; returns the typed config or the problems. */
export function validateEnvironment(raw: unknown, file: string, expectedName?: string): { config?: EnvironmentConfig; problems: ConfigProblem[] } {
  return validateEnvironmentFile(ENVIRONMENT_FILES, raw, file, expectedName);
}

/** Loads and validates the named environments (default: all), every problem of every file in one ConfigError. */
export function loadEnvironments(names?: readonly string[], options: LoadOptions = {}): EnvironmentConfig[] {
  return loadEnvironmentFiles(ENVIRONMENT_FILES, names, options);
}

export function loadEnvironment(name: string, options: LoadOptions = {}): EnvironmentConfig {
  return loadEnvironments([name], options)[0];
}
