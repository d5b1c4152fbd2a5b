export * from './schema.ts';
export * from './plan-doc.ts';
export * from './entities.ts';
export * from './horizon.ts';
export * from './migrations.ts';
export * from './comments.ts';
