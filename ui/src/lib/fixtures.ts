// Values the screens' tests share (the app itself imports nothing from here).
import type { StoreInfo } from './bindings/StoreInfo';

/** A worker's own store, open, its key in the keyring. */
export const keyringStore: StoreInfo = {
  encrypted: true,
  cipher_version: '4.6.1',
  path: '/home/an/.local/share/aanmelder/aanmelder.db',
  schema_version: 22,
  key_protection: 'keyring',
  demo: false,
};
