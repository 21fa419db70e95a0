export { startDemo, type Demo } from './demo.ts';
export { DEMO_ENVIRONMENT } from './environment.ts';
