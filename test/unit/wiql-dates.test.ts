import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matches } from '../../emulator/sinks/wiql.ts';

const changedSince = (value: string) => ({ field: 'System.ChangedDate', operator: '>=' as const, value });

test('a WIQL date comparison on a field the work item lacks matches nothing, with or without timePrecision', () => {
  assert.equal(matches({}, changedSince('2026-11-20'), 'SecOps', false), false);
  assert.equal(matches({}, changedSince('2026-11-20T12:00:00Z'), 'SecOps', true), false);
});

test('without timePrecision, dates compare by day', () => {
  const fields = { 'System.ChangedDate': '2026-11-20T18:30:00Z' };
  assert.equal(matches(fields, changedSince('2026-11-20'), 'SecOps', false), true);
  assert.equal(matches(fields, changedSince('2026-11-21'), 'SecOps', false), false);
});
