/**
 * Text for Adaptive Card TextBlock and Fact fields, which Teams renders as a subset of Markdown (bold, italic, lists,
 * links; HTML is shown as text). Whatever came from Azure is escaped so it stays text: a principal named
 * `[x](http://evil)` shows those characters instead of becoming a link, `**` stays two asterisks, `<script>` stays text.
 */

/** ASCII punctuation Markdown gives a meaning to; CommonMark renders a backslash-escaped one as itself. */
const INLINE_SYNTAX = /[\\`*_~[\]()<>#|!&{}]/g;
/** List markers only count at the start of a line, and every value starts one. */
const LINE_START_SYNTAX = /^(\s*)([-+]|\d+[.)])/;

export function escapeCardMarkdown(text: string): string {
  return text
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .replace(INLINE_SYNTAX, '\\$&')
    .replace(LINE_START_SYNTAX, (_match, space: string, marker: string) => `${space}${marker.replace(/[-+.)]/, '\\$&')}`);
}

/** A link whose text is escaped and whose URL cannot close the link early. */
export function cardLink(text: string, url: string): string {
  return `[${escapeCardMarkdown(text)}](${url.replaceAll('(', '%28').replaceAll(')', '%29').replaceAll(' ', '%20')})`;
}

/** Caps a text from Azure so one long value cannot push a card over the Teams message limit. */
export function truncate(text: string, maxLength: number): string {
  return text.length <= maxLength ? text : `${text.slice(0, maxLength - 1)}…`;
}
