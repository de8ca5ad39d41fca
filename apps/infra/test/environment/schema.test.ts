import { mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, listEnvironments } from '@awp/config';
import { environmentJsonSchema, loadEnvironment, loadEnvironments, RENAMED_KEYS, validateEnvironment } from '../../src/environment';

const ENV_DIR = path.resolve(__dirname, '../../../../environments');
const prodRaw = () => JSON.parse(readFileSync(path.join(ENV_DIR, 'prod.json'), 'utf8'));
const devRaw = () => JSON.parse(readFileSync(path.join(ENV_DIR, 'dev.json'), 'utf8'));

/** Validates a modified copy and returns the problems as "path: message" lines. */
function problems(raw: unknown, expectedName?: string): string[] {
  return validateEnvironment(raw, 'environments/x.json', expectedName).problems.map((p) => `${p.path}: ${p.message}`);
}

describe('the checked-in environment files', () => {
  it('all validate and come in promotion order', () => {
    const envs = loadEnvironments(undefined, { dir: ENV_DIR });
    expect(envs.map((e) => e.name)).toEqual(['dev', 'staging', 'prod']);
    expect(envs.map((e) => e.promotesFrom)).toEqual([undefined, 'dev', 'staging']);
  });

  it('get production-safe defaults where the file is silent', () => {
    const prod = loadEnvironment('prod', { dir: ENV_DIR });
    expect(prod.network.natGateways).toBe('perAz');
    expect(prod.data.database.multiAz).toBe(true);
    expect(prod.data.database.deletionProtection).toBe(true);
    expect(prod.data.cache.engine).toBe('valkey');
    expect(prod.observability.thresholds.cpuPercent).toBe(80);
    expect(prod.observability.thresholds.latencyP99Seconds).toBe(0.1);
  });

  it('reference the generated JSON Schema, which is up to date', () => {
    for (const name of listEnvironments(ENV_DIR)) expect(JSON.parse(readFileSync(path.join(ENV_DIR, `${name}.json`), 'utf8')).$schema).toBe('./environment.schema.json');
    const onDisk = JSON.parse(readFileSync(path.join(ENV_DIR, 'environment.schema.json'), 'utf8'));
    expect(onDisk).toEqual(environmentJsonSchema());
    expect((onDisk.properties.network.properties.vpcCidr as { description: string }).description).toMatch(/CIDR/);
  });
});

describe('renamed keys (README → Config migration)', () => {
  it('refuses each old key with the new one\'s name, once, and reports the other problems with it', () => {
    const raw = devRaw();
    raw.data.redis = raw.data.cache;
    delete raw.data.cache;
    raw.data.postgres = raw.data.database;
    delete raw.data.database;
    raw.data.s3 = raw.data.buckets;
    delete raw.data.buckets;
    raw.observability = { postgresMaxConnections: 100 };
    raw.network.natGateways = 'none';
    expect(problems(raw)).toEqual([
      'data.postgres: renamed to "data.database" (README → Config migration): move this key\'s fields there',
      'data.redis: renamed to "data.cache" (README → Config migration): move this key\'s fields there',
      'data.s3: renamed to "data.buckets" (README → Config migration): move this key\'s fields there',
      'observability.postgresMaxConnections: renamed to "observability.databaseMaxConnections" (README → Config migration): move this key\'s fields there',
      expect.stringMatching(/^network\.natGateways: /),
    ]);
  });

  it('lists every rename in the README\'s Config migration section', () => {
    const readme = readFileSync(path.resolve(ENV_DIR, '../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Config migration'));
    for (const [from, to] of Object.entries(RENAMED_KEYS)) expect(section).toContain(`\`${from}\` → \`${to}\``);
  });
});

describe('semantic validation', () => {
  it('rejects CIDR syntax errors, naming the field', () => {
    const raw = devRaw();
    raw.network.vpcCidr = '10.0.0.0/33';
    expect(problems(raw)).toEqual([expect.stringMatching(/^network\.vpcCidr: expected a prefix length between 0 and 32/)]);
    raw.network.vpcCidr = '10.0.0.300/16';
    expect(problems(raw)[0]).toMatch(/^network\.vpcCidr: expected octets between 0 and 255/);
    raw.network.vpcCidr = 'ten.0.0.0/16';
    expect(problems(raw)[0]).toMatch(/^network\.vpcCidr: expected an IPv4 CIDR block/);
    raw.network.vpcCidr = '10.0.0.1/16';
    expect(problems(raw)[0]).toMatch(/host bits zero.*did you mean "10\.0\.0\.0\/16"/);
  });

  it('rejects a VPC range outside /16–/24, outside private space, or too small for the AZs', () => {
    const raw = devRaw();
    raw.network.vpcCidr = '10.0.0.0/8';
    expect(problems(raw)[0]).toMatch(/^network\.vpcCidr: expected a prefix between \/16 and \/24/);
    raw.network.vpcCidr = '8.8.0.0/16';
    expect(problems(raw)[0]).toMatch(/^network\.vpcCidr: expected an RFC 1918 private range/);
    raw.network.vpcCidr = '10.0.0.0/24';
    raw.network.azCount = 3;
    expect(problems(raw)[0]).toMatch(/^network\.vpcCidr: \/24 is too small for 3 AZs.*expected \/23 or larger/);
  });

  it('rejects more AZs than the region has, and unknown regions', () => {
    const raw = devRaw();
    raw.region = 'us-west-1';
    raw.network.azCount = 3;
    expect(problems(raw)).toEqual(['network.azCount: expected at most 2 (the AZs of us-west-1), got 3']);
    raw.region = 'mars-north-1';
    expect(problems(raw)[0]).toMatch(/^region: expected a known AWS region \(us-east-1, .*got "mars-north-1"/);
  });

  it('checks explicit availability zones against the region and the AZ count', () => {
    const raw = devRaw();
    raw.network.availabilityZones = ['eu-west-1a', 'eu-west-1a', 'us-east-1b'];
    expect(problems(raw).sort()).toEqual([
      'network.availabilityZones: expected 2 names (azCount), got 3',
      'network.availabilityZones[1]: expected distinct zones, "eu-west-1a" appears twice',
      'network.availabilityZones[2]: expected a zone of eu-west-1, got "us-east-1b"',
    ]);
    raw.network.availabilityZones = ['eu-west-1b', 'eu-west-1c'];
    expect(problems(raw)).toEqual([]);
  });

  it('requires min <= desired <= max for node groups and min <= max for replicas', () => {
    const raw = devRaw();
    raw.compute.nodeGroups[0] = { ...raw.compute.nodeGroups[0], minSize: 3, desiredSize: 2, maxSize: 4 };
    expect(problems(raw)).toEqual(['compute.nodeGroups[0].desiredSize: expected desiredSize >= minSize (3), got 2']);
    raw.compute.nodeGroups[0] = { ...raw.compute.nodeGroups[0], minSize: 1, desiredSize: 5, maxSize: 4 };
    expect(problems(raw)).toEqual(['compute.nodeGroups[0].desiredSize: expected desiredSize <= maxSize (4), got 5']);
    raw.compute.nodeGroups[0].desiredSize = 2;
    raw.service.replicas = { min: 5, max: 2 };
    expect(problems(raw)).toEqual(['service.replicas.min: expected min <= max (2), got 5']);
  });

  it('requires prod to be Multi-AZ, replicated and protected', () => {
    const raw = prodRaw();
    raw.data.database.multiAz = false;
    raw.data.database.readReplicas = 0;
    raw.data.database.deletionProtection = false;
    raw.network.natGateways = 'single';
    raw.network.azCount = 1;
    raw.data.cache.replicasPerShard = 0;
    raw.data.database.backupRetentionDays = 1;
    raw.service.replicas.min = 1;
    expect(problems(raw).sort()).toEqual(
      [
        'data.database.backupRetentionDays: expected at least 7 days in prod, got 1',
        'data.database.deletionProtection: expected true: prod databases are deletion-protected',
        'data.database.multiAz: expected true: prod must be Multi-AZ',
        'data.database.readReplicas: expected at least 1 read replica in prod, got 0',
        'data.cache.replicasPerShard: expected at least 1 (cluster mode needs automatic failover, which needs a replica per shard; a small environment: 1 shard, 1 replica), got 0',
        'network.azCount: expected at least 2 in prod (Multi-AZ), got 1',
        'network.natGateways: expected "perAz" in prod: a single NAT gateway is a single-AZ failure',
        'service.replicas.min: expected at least 2 in prod, got 1',
      ].sort(),
    );
    // The same settings are fine below prod: environments relax the defaults.
    const dev = devRaw();
    expect(dev.data.database.multiAz).toBe(false);
    expect(problems(dev)).toEqual([]);
  });

  it('reports type errors and unknown fields with their paths, all at once', () => {
    const raw = devRaw();
    raw.account.id = '1234';
    raw.network.azCount = 'two';
    raw.network.vpcCidrr = '10.0.0.0/16';
    raw.compute.nodeGroups[0].instanceTypes = [];
    const out = problems(raw);
    expect(out).toEqual(
      expect.arrayContaining([
        'account.id: expected a 12-digit AWS account id',
        expect.stringMatching(/^network\.azCount: expected number, received string/),
        'network: unknown field "vpcCidrr"',
        expect.stringMatching(/^compute\.nodeGroups\[0\]\.instanceTypes: .*>=1/),
      ]),
    );
    expect(out.length).toBe(4);
  });

  it('rejects a name that does not match the file, an unknown promotesFrom, duplicate node groups', () => {
    expect(problems(devRaw(), 'staging')).toEqual(['name: expected "staging" (the file name), got "dev"']);
    const raw = devRaw();
    raw.compute.nodeGroups.push({ ...raw.compute.nodeGroups[0] });
    raw.promotesFrom = 'dev';
    expect(problems(raw).sort()).toEqual(['compute.nodeGroups[1].name: expected unique node group names, "general" appears twice', 'promotesFrom: expected another environment, not this one']);
  });
});

describe('loading', () => {
  const copyEnvs = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'awp-envs-'));
    for (const f of ['dev.json', 'staging.json', 'prod.json']) copyFileSync(path.join(ENV_DIR, f), path.join(dir, f));
    return dir;
  };

  it('lists the valid environments for an unknown name', () => {
    expect(() => loadEnvironments(['nosuch'], { dir: ENV_DIR })).toThrow(/unknown environment "nosuch"; valid environments: dev, staging, prod/);
  });

  it('collects problems across files and names each file', () => {
    const dir = copyEnvs();
    const dev = devRaw();
    dev.network.vpcCidr = '10.0.0.0/33';
    writeFileSync(path.join(dir, 'dev.json'), JSON.stringify(dev));
    writeFileSync(path.join(dir, 'staging.json'), '{ "name": "staging", ');
    let error: ConfigError | undefined;
    try {
      loadEnvironments(undefined, { dir, relativeTo: path.dirname(dir) });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const files = error!.problems.map((p) => p.file);
    expect(files).toEqual([path.join(path.basename(dir), 'dev.json'), path.join(path.basename(dir), 'staging.json')]);
    expect(error!.problems[0].path).toBe('network.vpcCidr');
    expect(error!.problems[1].message).toMatch(/^expected valid JSON/);
    expect(error!.message).toMatch(/2 problems/);
  });

  it('rejects promotesFrom naming an environment that does not exist', () => {
    const dir = copyEnvs();
    const staging = JSON.parse(readFileSync(path.join(ENV_DIR, 'staging.json'), 'utf8'));
    staging.promotesFrom = 'qa';
    writeFileSync(path.join(dir, 'staging.json'), JSON.stringify(staging));
    expect(() => loadEnvironments(undefined, { dir })).toThrow(/promotesFrom: expected one of dev, staging, prod, got "qa"/);
  });

  it('requires the repository\'s numeric ID (the OIDC trust pins it) and refuses anything but a positive integer', () => {
    const raw = devRaw();
    delete raw.repositoryId;
    expect(problems(raw)).toEqual([expect.stringMatching(/^repositoryId: /)]);
    for (const bad of ['812345679', 0, -1, 1.5]) {
      raw.repositoryId = bad;
      expect(problems(raw)).toEqual([expect.stringMatching(/^repositoryId: /)]);
    }
    raw.repositoryId = 812345679;
    raw.repositoryOwnerId = 'example-org';
    expect(problems(raw)).toEqual([expect.stringMatching(/^repositoryOwnerId: /)]);
  });

  it('refuses two IDs for one repository across environment files, naming the file that differs', () => {
    const dir = copyEnvs();
    const prod = JSON.parse(readFileSync(path.join(ENV_DIR, 'prod.json'), 'utf8'));
    prod.repositoryId = 1234;
    writeFileSync(path.join(dir, 'prod.json'), JSON.stringify(prod));
    expect(() => loadEnvironments(undefined, { dir })).toThrow(/prod\.json: repositoryId: expected 812345679 \(as in dev\.json for example-org\/aws-web-platform\), got 1234/);
  });
});
