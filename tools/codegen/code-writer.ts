/** Accumulates generated source with two-space indentation. */
export class CodeWriter {
  private readonly lines: string[] = [];
  private depth = 0;

  line(text = ''): this {
    this.lines.push(text === '' ? '' : '  '.repeat(this.depth) + text);
    return this;
  }

  /** Opens a block: writes `head {` and indents. */
  open(head: string): this {
    this.line(head === '' ? '{' : `${head} {`);
    this.depth++;
    return this;
  }

  /** Writes `text` verbatim (e.g. `fields: [`) and indents. */
  openRaw(text: string): this {
    this.line(text);
    this.depth++;
    return this;
  }

  /** Closes a block with `}` (or `tail`, e.g. `} else {`). */
  close(tail = '}'): this {
    this.depth--;
    this.line(tail);
    return this;
  }

  /** `} else {`-style transitions: dedent, write, indent. */
  reopen(text: string): this {
    this.depth--;
    this.line(text);
    this.depth++;
    return this;
  }

  toString(): string {
    return this.lines.join('\n') + '\n';
  }
}

/** A `/** ... *\/` comment, wrapped at about 100 columns. */
export function docComment(cw: CodeWriter, text: string): void {
  const clean = text.replace(/\*\//g, '*\\/').replace(/\s+/g, ' ').trim();
  if (clean === '') return;
  if (clean.length <= 90) {
    cw.line(`/** ${clean} */`);
    return;
  }
  cw.line('/**');
  let cur = '';
  for (const word of clean.split(' ')) {
    if (cur.length + word.length + 1 > 90 && cur !== '') {
      cw.line(` * ${cur}`);
      cur = word;
    } else {
      cur = cur === '' ? word : `${cur} ${word}`;
    }
  }
  if (cur !== '') cw.line(` * ${cur}`);
  cw.line(' */');
}
