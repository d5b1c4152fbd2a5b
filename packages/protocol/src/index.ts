export * from './roles.ts';
export * from './close-codes.ts';
export * from './api.ts';
export * from './awareness.ts';
export * from './governance.ts';
export * from './scenarios.ts';
export * from './data.ts';
export * from './actions.ts';
