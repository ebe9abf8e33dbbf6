/**
 * Escaping for text that comes from Azure (display names, resource ids, evidence): any of it may have been chosen by
 * whoever named a resource, so in a ticket it must read as text and do nothing else.
 */

/** Newlines and other control characters would start new Markdown blocks or break a title: one line, plain spaces. */
export const oneLine = (text: string) => text.replace(/[\u0000-\u001f\u007f]+/g, ' ');

/**
 * Plain text in GitHub Markdown, on one line. The characters that open inline Markdown anywhere (emphasis, code,
 * links, images, HTML, entities, strikethrough, tables, headings, math) are backslash-escaped, and so is a list marker
 * at the start. GitHub then turns `@name`, `#123` and bare URLs in the rendered text into mentions, references and
 * links, which escaping does not stop: a word joiner (U+2060) after `@` and `#` and inside `://` and `www.` breaks
 * them without changing what a reader sees.
 */
export function markdownText(text: string): string {
  return oneLine(text)
    .replace(/([@#])/g, '$1\u2060')
    .replace(/:\/\//g, ':\u2060//')
    .replace(/\bwww\./gi, (match) => `${match.slice(0, 3)}\u2060.`)
    .replace(/[\\`*_[\]<>&!~|#$]/g, '\\$&')
    .replace(/^(\s*)([-+=])/, '$1\\$2')
    .replace(/^(\s*\d+)([.)])/, '$1\\$2');
}

/** An inline code span that holds any text: the fence is longer than any run of backticks inside. GitHub neither mentions nor links in code. */
export function markdownCode(text: string): string {
  const line = oneLine(text);
  const longestRun = Math.max(0, ...(line.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const padded = /^[` ]|[` ]$/.test(line) ? ` ${line} ` : line;
  return `${fence}${padded}${fence}`;
}

/** A fenced code block that no line of the content can close. */
export function markdownCodeBlock(text: string, language: string): string {
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `${fence}${language}\n${text}\n${fence}`;
}

/** A link whose target we built (an https URL with encoded segments); the `<...>` form keeps `(` and `)` in it harmless. */
export function markdownLink(label: string, url: string): string {
  if (!/^https:\/\/[^\s<>]+$/.test(url)) throw new TypeError(`not a safe link target: ${url}`);
  return `[${markdownText(label)}](<${url}>)`;
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text in HTML, element content or a quoted attribute alike. */
export const htmlText = (text: string) => text.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char]!);

export const htmlCode = (text: string) => `<code>${htmlText(oneLine(text))}</code>`;

export function htmlLink(label: string, url: string): string {
  if (!/^https:\/\/[^\s<>"']+$/.test(url)) throw new TypeError(`not a safe link target: ${url}`);
  return `<a href="${htmlText(url)}">${htmlText(label)}</a>`;
}
