import { unseal } from '../crypto/seal.js';
import { ServiceSlot } from '../protocol/capability.js';
import type { CapabilityOptions } from '../protocol/capability.js';
import type { Core } from '../protocol/context.js';
import type { ContactService } from './contacts.js';
import type { EngagementService } from './engagements.js';
import { acceptCodeContext } from './engagements.js';
import type { IncidentService } from './records.js';
import type { RotationService } from './rotations.js';

export interface ContactsSide {
  contacts: ContactService;
  engagements: EngagementService;
  unsealCode: (sealed: string, page: string) => string;
}

export const contactsSlot = new ServiceSlot<ContactsSide>('incident contacts');
export const incidentsSlot = new ServiceSlot<IncidentService>('incidents');
export const rotationsSlot = new ServiceSlot<RotationService>('incident rotations');
export const rotationsOf = (core: Core) => rotationsSlot.get(core);
export const contactsOf = (core: Core) => contactsSlot.get(core);
export const incidentsOf = (core: Core) => incidentsSlot.get(core);

export const codeOpener = (core: Core) => (sealed: string, page: string) => unseal(core.rootKey, sealed, acceptCodeContext(page)).toString('utf8');
export const optionsSlot = new ServiceSlot<CapabilityOptions>('incident options');
