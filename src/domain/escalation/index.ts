export * from './case-summary.ts';
export * from './crisis-reason-text.ts';
export * from './policy.ts';
export * from './queue-order.ts';
