import { z } from 'zod';

/**
 * The Adaptive Card subset the Teams Workflows sink checks: AdaptiveCard 1.0–1.5 with TextBlock, FactSet,
 * ColumnSet/Column and Container, and Action.OpenUrl. Written from the schema sources in microsoft/AdaptiveCards
 * (`schemas/src/AdaptiveCard.json`, `elements/*.json`, `actions/*.json`, `enums/*.json`).
 *
 * Deliberate differences from a Teams client, which ignores what it does not understand:
 * - objects are strict: a misspelt property (`fontSize` for `size`) is refused instead of silently dropped;
 * - Action.Submit is refused: the Flow bot that posts a Workflows card cannot receive its submission;
 * - other valid Adaptive Card elements and actions (Image, ActionSet, Input.*, Action.ShowCard ...) are refused as
 *   outside the subset, saying so, rather than passed unchecked;
 * - per-property `version` requirements (fontType needs 1.2 ...) are not checked.
 */

/** Enum values are case-insensitive in Adaptive Cards: "Large", "large" and "LARGE" are one size. */
function caseless(name: string, values: readonly string[]) {
  const known = new Set(values.map((value) => value.toLowerCase()));
  return z.string().refine((value) => known.has(value.toLowerCase()), { message: `expected a ${name}: ${values.join(', ')} (any case)` });
}

const Spacing = caseless('Spacing', ['default', 'none', 'small', 'medium', 'large', 'extraLarge', 'padding']);
const Colors = caseless('Colors value', ['default', 'dark', 'light', 'accent', 'good', 'warning', 'attention']);
const FontSize = caseless('FontSize', ['default', 'small', 'medium', 'large', 'extraLarge']);
const FontWeight = caseless('FontWeight', ['default', 'lighter', 'bolder']);
const FontType = caseless('FontType', ['default', 'monospace']);
const HorizontalAlignment = caseless('HorizontalAlignment', ['left', 'center', 'right']);
const VerticalContentAlignment = caseless('VerticalContentAlignment', ['top', 'center', 'bottom']);
const ContainerStyle = caseless('ContainerStyle', ['default', 'emphasis', 'good', 'attention', 'warning', 'accent']);
const BlockElementHeight = caseless('BlockElementHeight', ['auto', 'stretch']);
const TextBlockStyle = caseless('TextBlockStyle', ['default', 'heading']);
const ActionStyle = caseless('ActionStyle', ['default', 'positive', 'destructive']);
const pixels = z.string().regex(/^\d+px$/, 'expected pixels, like "80px"');

/** Action.OpenUrl's `url` is a `uri`: absolute, and one a Teams client opens. */
const OpenableUrl = z.string().refine((value) => {
  try {
    return ['https:', 'http:', 'mailto:', 'tel:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'expected an absolute https, http, mailto or tel URL');

/** ToggleableItem and Element: what every element may carry. */
const elementProperties = {
  id: z.string().optional(),
  isVisible: z.boolean().optional(),
  requires: z.record(z.string(), z.string()).optional(),
  height: BlockElementHeight.optional(),
  separator: z.boolean().optional(),
  spacing: Spacing.optional(),
};

const OpenUrl = z.strictObject({
  type: z.literal('Action.OpenUrl'),
  url: OpenableUrl,
  title: z.string().optional(),
  iconUrl: z.string().optional(),
  id: z.string().optional(),
  style: ActionStyle.optional(),
  tooltip: z.string().optional(),
  isEnabled: z.boolean().optional(),
  requires: z.record(z.string(), z.string()).optional(),
});

/** A type that exists in Adaptive Cards but must not, or cannot be checked to, reach a Workflows channel. */
function refused(type: string, why: string) {
  return z
    .looseObject({ type: z.literal(type) })
    .superRefine((_value, ctx) => ctx.addIssue({ code: 'custom', path: ['type'], message: `${type}: ${why}` }));
}

const OUTSIDE_SUBSET = 'valid Adaptive Cards, but outside the subset the idwarden emulator checks (TextBlock, FactSet, ColumnSet, Container, Action.OpenUrl)';

const Action = z.discriminatedUnion('type', [
  OpenUrl,
  refused('Action.Submit', 'not supported in cards a Workflows webhook posts (the Flow bot cannot receive the submission); use Action.OpenUrl'),
  refused('Action.Execute', OUTSIDE_SUBSET),
  refused('Action.ShowCard', OUTSIDE_SUBSET),
  refused('Action.ToggleVisibility', OUTSIDE_SUBSET),
]);

// Containers hold elements that may be containers: the recursion goes through z.lazy.
const elements: z.ZodType<unknown[]> = z.lazy(() => z.array(Element));

const TextBlock = z.strictObject({
  type: z.literal('TextBlock'),
  ...elementProperties,
  text: z.string(),
  color: Colors.optional(),
  fontType: FontType.optional(),
  horizontalAlignment: HorizontalAlignment.optional(),
  isSubtle: z.boolean().optional(),
  maxLines: z.number().int().positive().optional(),
  size: FontSize.optional(),
  weight: FontWeight.optional(),
  wrap: z.boolean().optional(),
  style: TextBlockStyle.optional(),
});

const FactSet = z.strictObject({
  type: z.literal('FactSet'),
  ...elementProperties,
  facts: z.array(z.strictObject({ title: z.string(), value: z.string() })),
});

const containerProperties = {
  items: elements,
  selectAction: OpenUrl.optional(),
  style: ContainerStyle.optional(),
  verticalContentAlignment: VerticalContentAlignment.optional(),
  bleed: z.boolean().optional(),
  minHeight: pixels.optional(),
};

const Container = z.strictObject({ type: z.literal('Container'), ...elementProperties, ...containerProperties });

const Column = z.strictObject({
  type: z.literal('Column'),
  ...elementProperties,
  ...containerProperties,
  items: elements.optional(),
  width: z.union([z.number().positive(), z.string().regex(/^(auto|stretch|\d+px)$/i, 'expected "auto", "stretch", a weight or pixels like "50px"')]).optional(),
});

const ColumnSet = z.strictObject({
  type: z.literal('ColumnSet'),
  ...elementProperties,
  columns: z.array(Column).optional(),
  selectAction: OpenUrl.optional(),
  style: ContainerStyle.optional(),
  bleed: z.boolean().optional(),
  minHeight: pixels.optional(),
  horizontalAlignment: HorizontalAlignment.optional(),
});

const Element = z.discriminatedUnion('type', [
  TextBlock,
  FactSet,
  ColumnSet,
  Container,
  ...['Image', 'ImageSet', 'ActionSet', 'RichTextBlock', 'Media', 'Table'].map((type) => refused(type, OUTSIDE_SUBSET)),
  ...['Input.Text', 'Input.Number', 'Input.Date', 'Input.Time', 'Input.Toggle', 'Input.ChoiceSet'].map((type) =>
    refused(type, 'inputs need Action.Submit, which a Workflows webhook card cannot use'),
  ),
]);

/** Adaptive Card versions Teams renders; a later version shows the card's fallbackText instead. */
const TEAMS_CARD_VERSIONS = ['1.0', '1.1', '1.2', '1.3', '1.4', '1.5'] as const;

export const AdaptiveCardSchema = z.strictObject({
  type: z.literal('AdaptiveCard'),
  version: z.enum(TEAMS_CARD_VERSIONS, { error: `expected a version Teams renders (${TEAMS_CARD_VERSIONS.join(', ')})` }),
  $schema: z.string().optional(),
  body: z.array(Element).optional(),
  actions: z.array(Action).optional(),
  selectAction: OpenUrl.optional(),
  style: ContainerStyle.optional(),
  fallbackText: z.string().optional(),
  minHeight: pixels.optional(),
  speak: z.string().optional(),
  lang: z.string().optional(),
  verticalContentAlignment: VerticalContentAlignment.optional(),
  /** Teams' own extension: a card as wide as the channel. */
  msteams: z.strictObject({ width: z.literal('Full') }).optional(),
});

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

/** The body the "Post to a channel when a webhook request is received" template reads: one card per attachment. */
export const WorkflowMessageSchema = z.strictObject({
  type: z.literal('message'),
  attachments: z
    .array(
      z.strictObject({
        contentType: z.literal(ADAPTIVE_CARD_CONTENT_TYPE),
        contentUrl: z.string().nullable().optional(),
        content: AdaptiveCardSchema,
      }),
    )
    .min(1, 'expected at least one Adaptive Card attachment'),
  summary: z.string().optional(),
  text: z.string().optional(),
});

/** Every problem with its path, one per line, the way the run history of a failed flow would list them. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`);
}
