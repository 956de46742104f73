import { ServiceSlot } from '../protocol/capability.js';
import type { Core } from '../protocol/context.js';
import type { CurrentRows } from './current.js';
import type { ParameterReads } from './reads.js';
import type { ParameterWrites } from './service.js';

export const readsSlot = new ServiceSlot<ParameterReads>('parameters');
export const writesSlot = new ServiceSlot<ParameterWrites>('parameters');
export const parameterReads = (core: Core) => readsSlot.get(core);
export const parameterWrites = (core: Core) => writesSlot.get(core);
export const currentSlot = new ServiceSlot<CurrentRows>('parameters');
export const currentRows = (core: Core) => currentSlot.get(core);
