import { z } from 'zod';

/**
 * JSON values stored in table properties within Table limits: a string property holds 64 KiB of UTF-16
 * (32K characters) and an entity 1 MiB. A long document is split over `name`, `name_1`, `name_2` ... with
 * `name_parts` giving the count; a short one is the single property `name`.
 */

/** Characters per string property: the 32,768 the service allows, less a margin. */
const PART_CHARS = 32_000;

/** Budget for one JSON document per entity: 12 parts (768 KB of UTF-16), leaving room for the other properties. */
export const MAX_JSON_CHARS = 12 * PART_CHARS;

/** The properties holding `value`, or undefined when its JSON exceeds `maxChars`. */
export function jsonProperties(name: string, value: unknown, maxChars = MAX_JSON_CHARS): Record<string, string | number> | undefined {
  const json = asciiJson(value);
  if (json.length > maxChars) return undefined;
  if (json.length <= PART_CHARS) return { [name]: json };
  const properties: Record<string, string | number> = { [`${name}_parts`]: Math.ceil(json.length / PART_CHARS) };
  for (let index = 0; index * PART_CHARS < json.length; index++) {
    properties[index === 0 ? name : `${name}_${index}`] = json.slice(index * PART_CHARS, (index + 1) * PART_CHARS);
  }
  return properties;
}

/** The JSON text of `name` joined from its parts, or undefined when the entity has no such property. */
export function readJsonText(entity: Record<string, unknown>, name: string): string | undefined {
  const first = entity[name];
  if (typeof first !== 'string') return undefined;
  const count = entity[`${name}_parts`];
  if (typeof count !== 'number') return first;
  const parts = [first];
  for (let index = 1; index < count; index++) {
    const part = entity[`${name}_${index}`];
    if (typeof part !== 'string') throw new Error(`property ${name}_${index} of ${count} is missing`);
    parts.push(part);
  }
  return parts.join('');
}

/**
 * JSON with every non-ASCII character escaped (`\u00e9`): still the same JSON, and pure ASCII, so a split can
 * never fall inside a character. It also sidesteps an Azurite bug (3.35, table `readRequestIntoText` joins
 * body chunks as strings) that corrupts a multi-byte character straddling two TCP chunks of a large request.
 */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A string property holding JSON, parsed and then checked by `schema`. */
export const jsonString = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
