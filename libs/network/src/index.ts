export * from './network';
export * from './settings';
