import { rdsInstanceMemoryGib, rdsPostgresDefaultMaxConnections } from './instance-specs';

describe('RDS instance specs', () => {
  it('knows the memory of common classes', () => {
    expect(rdsInstanceMemoryGib('db.r7g.large')).toBe(16);
    expect(rdsInstanceMemoryGib('db.m7g.2xlarge')).toBe(32);
    expect(rdsInstanceMemoryGib('db.t4g.medium')).toBe(4);
    expect(rdsInstanceMemoryGib('db.x2g.xlarge')).toBe(64);
  });

  it('returns undefined for classes it cannot derive', () => {
    expect(rdsInstanceMemoryGib('db.serverless')).toBeUndefined();
    expect(rdsInstanceMemoryGib('db.r7g.metal')).toBeUndefined();
    expect(rdsPostgresDefaultMaxConnections('cache.r7g.large')).toBeUndefined();
  });

  it("follows RDS PostgreSQL's LEAST(memory/9531392, 5000) on the safe side", () => {
    expect(rdsPostgresDefaultMaxConnections('db.t4g.medium')).toBe(405);
    expect(rdsPostgresDefaultMaxConnections('db.r7g.large')).toBe(1622);
    expect(rdsPostgresDefaultMaxConnections('db.r7g.16xlarge')).toBe(5000);
  });
});
