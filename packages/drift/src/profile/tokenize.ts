const TOKEN = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu;

/** Splits free text into lower-cased word tokens (letters and digits; apostrophes kept inside words). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(TOKEN) ?? [];
}
