export * from './observability';
export * from './alarm-topic';
export * from './dashboard';
export * from './instance-specs';
