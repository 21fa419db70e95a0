export * from './ids.ts';
export * from './result.ts';
export * from './entitlement.ts';
export * from './observed.ts';
export * from './order-reference.ts';
