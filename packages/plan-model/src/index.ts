export * from './schema.ts';
export * from './plan-doc.ts';
