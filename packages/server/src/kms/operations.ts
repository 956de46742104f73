import type { AnyOperation } from '../protocol/registry.js';
import { aliasOperations } from './operations/aliases.js';
import { cryptoOperations } from './operations/crypto.js';
import { keyOperations } from './operations/keys.js';
import { rotationOperations } from './operations/rotation.js';

/** The KMS subset Capstan answers (TrentService, JSON 1.1), one file per family. */
export const kmsOperations: AnyOperation[] = [...keyOperations, ...aliasOperations, ...cryptoOperations, ...rotationOperations];
