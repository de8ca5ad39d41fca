export * from './versions';
export * from './cluster';
export * from './workloads';
export * from './plan-reader';
export * from './settings';
