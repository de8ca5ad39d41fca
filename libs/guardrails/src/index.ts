export * from './types';
export * from './engine';
export * from './aspect';
export * from './util';
export * from './rules';
