import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The published sample payloads (Azure REST API specs, Microsoft Graph docs, Event Grid docs) live in
 * ../shared/fixtures/official beside a developer's or CI's checkout, never in a user's clone.
 * Conformance tests read them through here and skip with this reason when they are absent.
 */
export const OFFICIAL_FIXTURES = process.env['IDWARDEN_OFFICIAL_FIXTURES'] ?? resolve(import.meta.dirname, '..', '..', '..', 'shared', 'fixtures', 'official');

export const officialFixturesMissing: string | false = existsSync(OFFICIAL_FIXTURES)
  ? false
  : `official sample payloads not found at ${OFFICIAL_FIXTURES} (set IDWARDEN_OFFICIAL_FIXTURES); conformance tests skipped`;

export function officialFixture<T = any>(relativePath: string): T {
  return JSON.parse(readFileSync(join(OFFICIAL_FIXTURES, relativePath), 'utf8')) as T;
}
