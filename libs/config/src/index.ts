export * from './schema';
export * from './loader';
export * from './naming';
export * from './cidr';
export * from './regions';
export * from './stack';
export * from './iam';
export * from './oidc';
