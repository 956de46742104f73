import { insightOperations } from './insight.js';
import type { Capability } from '../protocol/capability.js';
import { attachAlertEndpoint, alertOperations } from './alerts.js';
import { analysisOperations } from './analysis.js';
import { contactOperations } from './contact-operations.js';
import { ContactService } from './contacts.js';
import { handleDeliveries } from './deliveries.js';
import { Delivery } from './delivery.js';
import { wireEffects } from './effects.js';
import { EngagementService } from './engagements.js';
import { incidentOperations } from './incident-operations.js';
import { IncidentService } from './records.js';
import { codeOpener, contactsSlot, incidentsSlot, optionsSlot, rotationsSlot } from './slot.js';
import { incidentMigrations } from './tables.js';
import { tagOperations } from './tags.js';
import { policyOperations } from './policies.js';
import { replicationOperations } from './replication.js';
import { rotationOperations } from './rotation-operations.js';
import { RotationService } from './rotations.js';

export type { IncidentNotifyConfig, SmtpConfig } from '../protocol/capability.js';
export { incidentsOf } from './slot.js';

/**
 * Incident Manager: contacts, escalation plans, on-call rotations and engagements (ssm-contacts), response plans,
 * incidents, their timelines and related items (ssm-incidents), the alert endpoint that starts
 * incidents from monitoring, and post-incident analyses. Starts after automation (its runbooks),
 * rules (whose targets start incidents) and OpsCenter (where action items go).
 */
export const incidentsCapability: Capability = {
  name: 'incidents',
  migrations: incidentMigrations,
  operations: [...contactOperations, ...rotationOperations, ...incidentOperations, ...alertOperations, ...insightOperations, ...analysisOperations, ...tagOperations, ...replicationOperations, ...policyOperations],
  start(core, options) {
    optionsSlot.set(core, options);
    const delivery = new Delivery(core, options.incidentNotifications ?? {});
    const contacts = new ContactService(core);
    const rotations = new RotationService(core);
    rotationsSlot.set(core, rotations);
    const engagements = new EngagementService(core, contacts, rotations);
    const incidents = new IncidentService(core, engagements);
    contactsSlot.set(core, { contacts, engagements, unsealCode: codeOpener(core) });
    incidentsSlot.set(core, incidents);
    handleDeliveries(core, contacts, engagements, delivery);
    wireEffects(core, incidents, engagements, delivery);
  },
  http(app, core) {
    attachAlertEndpoint(app, core);
  },
};
