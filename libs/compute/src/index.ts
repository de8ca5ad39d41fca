export * from './versions';
export * from './cluster';
export * from './workloads';
