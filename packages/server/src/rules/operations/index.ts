import type { AnyOperation } from '../../protocol/registry.js';
import { connectionOperations } from './connections.js';
import { firingOperations } from './firings.js';
import { ruleOperations } from './rules.js';
import { tagOperations } from './tags.js';
import { targetOperations } from './targets.js';

export const eventOperations: AnyOperation[] = [...ruleOperations, ...targetOperations, ...connectionOperations, ...tagOperations, ...firingOperations];
