/**
 * A small ANSI parser for build logs: SGR (colours, bold, italic, underline, inverse) becomes
 * styled segments; every other escape sequence (cursor moves, erase line, OSC titles/links) is
 * dropped. Output is plain data rendered as React text nodes, so log text is never parsed as HTML.
 *
 * A colour left open at the end of a line continues on the next one, as in a terminal: the viewer
 * renders only the visible window, so the state at the start of each line comes from the log
 * store (`LogStore.styleAt`, computed once, forward) and is passed in as `start`.
 */
export interface AnsiStyle {
  /** 0–15 (palette, themeable in CSS), or a CSS colour for 256-colour and truecolour codes. */
  fg?: number | string;
  bg?: number | string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  inverse?: boolean;
}
export interface AnsiSegment extends AnsiStyle {
  text: string;
}

// CSI (ESC [ params intermediates final), OSC (ESC ] ... BEL or ESC \), or a lone 2-byte escape.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this parser's job
const ESCAPE_RE = /\x1b\[([0-?]*)([ -/]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?|\x9b[0-?]*[ -/]*[@-~]/g;

export function parseAnsi(input: string, start: AnsiStyle = NO_STYLE): AnsiSegment[] {
  const cr = lastCarriageReturn(input);
  // Text before the last `\r` was overwritten, but its colour codes still changed the state.
  let style = cr.before ? ansiEndStyle(cr.before, start) : start;
  const line = cr.line;
  const out: AnsiSegment[] = [];
  let last = 0;
  ESCAPE_RE.lastIndex = 0;
  for (let m = ESCAPE_RE.exec(line); m; m = ESCAPE_RE.exec(line)) {
    if (m.index > last) push(out, line.slice(last, m.index), style);
    last = m.index + m[0].length;
    if (isSgr(m)) style = applySgr(style, m[1] ?? '');
  }
  if (last < line.length) push(out, line.slice(last), style);
  return out;
}

/** The shared "no attributes" style: lines without escapes keep their start style by reference. */
export const NO_STYLE: AnsiStyle = Object.freeze({});

/** The style in effect after `input` (the whole line, overwritten parts included), given the style before it. */
export function ansiEndStyle(input: string, start: AnsiStyle = NO_STYLE): AnsiStyle {
  if (!input.includes('\x1b')) return start;
  let style = start;
  ESCAPE_RE.lastIndex = 0;
  for (let m = ESCAPE_RE.exec(input); m; m = ESCAPE_RE.exec(input)) {
    if (isSgr(m)) style = applySgr(style, m[1] ?? '');
  }
  return style;
}

const isSgr = (m: RegExpExecArray) => m[3] === 'm' && m[2] === '' && m[0].startsWith('\x1b[');

/** Text of a line as shown (escapes removed); what search runs on. */
export function stripAnsi(input: string): string {
  const line = lastCarriageReturnSegment(input);
  if (!line.includes('\x1b') && !line.includes('\x9b')) return line;
  return line.replace(ESCAPE_RE, '');
}

/** Progress output rewrites a line with `\r`; a terminal would show only the last rewrite. */
function lastCarriageReturn(input: string): { before: string; line: string } {
  const trimmed = input.endsWith('\r') ? input.slice(0, -1) : input;
  const cr = trimmed.lastIndexOf('\r');
  return cr === -1 ? { before: '', line: trimmed } : { before: trimmed.slice(0, cr), line: trimmed.slice(cr + 1) };
}

function lastCarriageReturnSegment(input: string): string {
  return lastCarriageReturn(input).line;
}

function push(out: AnsiSegment[], text: string, style: AnsiStyle): void {
  const prev = out[out.length - 1];
  if (prev && sameStyle(prev, style)) prev.text += text;
  else out.push({ ...style, text });
}

function sameStyle(a: AnsiStyle, b: AnsiStyle): boolean {
  return (
    a.fg === b.fg &&
    a.bg === b.bg &&
    !!a.bold === !!b.bold &&
    !!a.dim === !!b.dim &&
    !!a.italic === !!b.italic &&
    !!a.underline === !!b.underline &&
    !!a.inverse === !!b.inverse
  );
}

function applySgr(current: AnsiStyle, params: string): AnsiStyle {
  const codes = params === '' ? [0] : params.split(/[;:]/).map((p) => (p === '' ? 0 : Number(p)));
  let s: AnsiStyle = { ...current };
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c === 0) s = {};
    else if (c === 1) s.bold = true;
    else if (c === 2) s.dim = true;
    else if (c === 3) s.italic = true;
    else if (c === 4) s.underline = true;
    else if (c === 7) s.inverse = true;
    else if (c === 22) s.bold = s.dim = undefined;
    else if (c === 23) s.italic = undefined;
    else if (c === 24) s.underline = undefined;
    else if (c === 27) s.inverse = undefined;
    else if (c >= 30 && c <= 37) s.fg = c - 30;
    else if (c >= 90 && c <= 97) s.fg = c - 90 + 8;
    else if (c === 39) s.fg = undefined;
    else if (c >= 40 && c <= 47) s.bg = c - 40;
    else if (c >= 100 && c <= 107) s.bg = c - 100 + 8;
    else if (c === 49) s.bg = undefined;
    else if (c === 38 || c === 48) {
      const [colour, used] = extendedColour(codes, i + 1);
      if (colour !== undefined) {
        if (c === 38) s.fg = colour;
        else s.bg = colour;
      }
      i += used;
    }
  }
  return clean(s);
}

/** `5;n` (256-colour) or `2;r;g;b` (truecolour); returns the colour and how many codes it used. */
function extendedColour(codes: number[], at: number): [number | string | undefined, number] {
  const mode = codes[at];
  if (mode === 5) {
    const n = codes[at + 1];
    if (n === undefined || n < 0 || n > 255) return [undefined, 2];
    return [n < 16 ? n : xterm256(n), 2];
  }
  if (mode === 2) {
    const [r, g, b] = [codes[at + 1], codes[at + 2], codes[at + 3]].map((v) => Math.max(0, Math.min(255, v ?? 0)));
    return [`rgb(${r}, ${g}, ${b})`, 4];
  }
  return [undefined, 0];
}

function xterm256(n: number): string {
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v}, ${v}, ${v})`;
  }
  const i = n - 16;
  const level = (x: number) => (x === 0 ? 0 : 55 + x * 40);
  return `rgb(${level(Math.floor(i / 36))}, ${level(Math.floor(i / 6) % 6)}, ${level(i % 6)})`;
}

function clean(s: AnsiStyle): AnsiStyle {
  if (Object.values(s).every((v) => v === undefined)) return NO_STYLE;
  const out: AnsiStyle = {};
  for (const [k, v] of Object.entries(s) as [keyof AnsiStyle, AnsiStyle[keyof AnsiStyle]][]) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}
