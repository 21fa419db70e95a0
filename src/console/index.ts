export { keyLink } from './key-link.ts';
