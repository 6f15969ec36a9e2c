/**
 * Kafka's message specs are JSON with `//` line comments. Comments are removed
 * outside string literals only: `about` texts contain URLs with `//` in them.
 */
export function stripJsonComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') {
        out += text[i + 1] ?? '';
        i++;
      } else if (c === '"') {
        inString = false;
      }
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  return out;
}

export function parseJsonWithComments(text: string, source: string): unknown {
  try {
    return JSON.parse(stripJsonComments(text));
  } catch (e) {
    throw new Error(`${source}: ${(e as Error).message}`);
  }
}
