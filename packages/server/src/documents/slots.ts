import { ServiceSlot } from '../protocol/capability.js';
import type { Core } from '../protocol/context.js';
import type { DocumentListing } from './listing.js';
import type { DocumentReads } from './reads.js';
import type { DocumentReviews } from './reviews.js';
import type { DocumentWrites } from './service.js';
import type { DocumentSharing } from './sharing.js';

export interface DocumentServices {
  reads: DocumentReads;
  writes: DocumentWrites;
  sharing: DocumentSharing;
  reviews: DocumentReviews;
  listing: DocumentListing;
}

export const documentsSlot = new ServiceSlot<DocumentServices>('documents');
export const documents = (core: Core) => documentsSlot.get(core);
