export * from './case-summary.ts';
export * from './policy.ts';
export * from './queue-order.ts';
