import assert from 'node:assert/strict';

/**
 * "Same shape as the official Graph sample": every key the sample shows is in ours, recursively, with
 * the same JSON kind wherever both values are non-null (published samples fill in values the emulator
 * leaves null, and the reverse). Arrays compare their first elements. Graph samples are "shortened for
 * readability", so extra keys on our side are fine: that is why this is looser than ./shape.ts, which
 * holds ARM responses to the complete examples of the REST specs.
 */
export function shapeDifferences(ours: unknown, sample: unknown, path = '$', ignore: readonly string[] = []): string[] {
  if (ignore.includes(path) || sample === null || ours === null) return [];
  const kind = (value: unknown) => (Array.isArray(value) ? 'array' : typeof value);
  if (kind(ours) !== kind(sample)) return [`${path}: ours is ${kind(ours)}, the sample's is ${kind(sample)}`];
  if (Array.isArray(sample) && Array.isArray(ours)) {
    return sample.length > 0 && ours.length > 0 ? shapeDifferences(ours[0], sample[0], `${path}[0]`, ignore) : [];
  }
  if (typeof sample !== 'object') return [];
  const ourObject = ours as Record<string, unknown>;
  return Object.entries(sample as Record<string, unknown>).flatMap(([key, value]) => {
    const inner = `${path}.${key}`;
    if (ignore.includes(inner)) return [];
    if (!(key in ourObject)) return [`${inner}: missing`];
    return shapeDifferences(ourObject[key], value, inner, ignore);
  });
}

export function assertSameShape(ours: unknown, sample: unknown, options: { ignore?: readonly string[]; what?: string } = {}): void {
  const differences = shapeDifferences(ours, sample, '$', options.ignore ?? []);
  assert.deepEqual(differences, [], `${options.what ?? 'payload'} differs in shape from the official sample`);
}
