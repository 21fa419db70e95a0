export { startDemo, DEMO_ENVIRONMENT, type Demo } from './demo.ts';
