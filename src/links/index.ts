export {
  describeConnection,
  CONNECTION_PROTOCOLS,
  type Connection,
  type ConnectionProtocol,
  type LinkInput,
} from './connection.ts';
export { renderLink, formatShareLink } from './share-link.ts';
export { linkInputOf, connectHostOf, type KeyWithInbound } from './key-input.ts';
