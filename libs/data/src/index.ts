export * from './keys';
export * from './postgres';
export * from './cache';
export * from './buckets';
export * from './data-layer';
export * from './grants';
export * from './settings';
