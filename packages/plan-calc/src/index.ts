export * from './months.ts';
export * from './keys.ts';
export * from './plan-data.ts';
export * from './order.ts';
export * from './projection.ts';
