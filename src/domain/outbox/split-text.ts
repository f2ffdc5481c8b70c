/**
 * Cuts a text into parts of at most `maxChars` characters, in order and losing no word, so a message longer
 * than Telegram carries still arrives whole. Each cut falls at the last line break, else the last space, in
 * the second half of a part; a text with neither (Chinese has no spaces) is cut at the limit. Characters are
 * counted as Telegram counts them (UTF-16 units), never splitting a surrogate pair.
 *
 * @example splitText('a'.repeat(5000), 4000).map((part) => part.length) // [4000, 1000]
 */
export function splitText(text: string, maxChars: number): string[] {
  if (maxChars < 2) throw new RangeError('maxChars must be at least 2');
  const parts: string[] = [];
  let rest = text;
  while (rest.length > maxChars) {
    let cut = Math.max(rest.lastIndexOf('\n', maxChars), rest.lastIndexOf(' ', maxChars));
    if (cut < maxChars / 2) cut = maxChars;
    // Never between the halves of an emoji or a rare CJK character.
    const code = rest.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    parts.push(rest.slice(0, cut).replace(/[ \n]+$/u, ''));
    rest = rest.slice(cut).replace(/^[ \n]/u, '');
  }
  parts.push(rest);
  return parts.filter((part, index) => part.length > 0 || index === 0);
}
