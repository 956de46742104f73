import { describe } from 'node:test';
import { postgresSkipReason } from './postgres.js';
import type { Engine } from './server.js';

const skip = await postgresSkipReason();

/** Runs a suite once on SQLite and once on PostgreSQL (skipped, saying why, outside CI). */
export function onEveryEngine(title: string, suite: (engine: Engine) => void): void {
  for (const engine of ['sqlite', 'postgres'] as const) {
    describe(`${title} on ${engine}`, { skip: engine === 'postgres' ? (skip ?? false) : false }, () => suite(engine));
  }
}
