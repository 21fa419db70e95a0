export {
  describeConnection,
  CONNECTION_PROTOCOLS,
  type Connection,
  type ConnectionProtocol,
  type LinkInput,
} from './connection.ts';
export { renderLink, formatShareLink } from './share-link.ts';
export { linkInputOf, connectHostOf, type KeyWithInbound } from './key-input.ts';
export { toMihomoProxy, type MihomoProxy } from './mihomo.ts';
export { toSingBoxOutbound, type SingBoxOutbound } from './sing-box.ts';
export { CLIENT_APPS, clientAppById, withFormat, type AppFormat, type ClientApp } from './import-links.ts';
