import { ServiceSlot } from '../protocol/capability.js';
import type { ComplianceService } from './service.js';

export const complianceSlot = new ServiceSlot<ComplianceService>('compliance');
