import { describe, expect, it } from 'vitest';
import { ansiEndStyle, NO_STYLE, parseAnsi, stripAnsi } from './ansi.ts';

describe('parseAnsi', () => {
  it('returns plain text as one unstyled segment', () => {
    expect(parseAnsi('STEP 1/3: FROM scratch')).toEqual([{ text: 'STEP 1/3: FROM scratch' }]);
  });

  it('maps the 16 colours, bold and reset', () => {
    expect(parseAnsi('\x1b[1;31merror:\x1b[0m build \x1b[92mok\x1b[39m!')).toEqual([
      { text: 'error:', bold: true, fg: 1 },
      { text: ' build ' },
      { text: 'ok', fg: 10 },
      { text: '!' },
    ]);
  });

  it('keeps attributes across codes until they are turned off individually', () => {
    expect(parseAnsi('\x1b[4mu\x1b[33my\x1b[24mz\x1b[22;49mw')).toEqual([
      { text: 'u', underline: true },
      { text: 'y', underline: true, fg: 3 },
      { text: 'zw', fg: 3 },
    ]);
  });

  it('understands 256-colour and truecolour for foreground and background', () => {
    expect(parseAnsi('\x1b[38;5;196mred\x1b[48;2;10;20;30mbg\x1b[m')).toEqual([
      { text: 'red', fg: 'rgb(255, 0, 0)' },
      { text: 'bg', fg: 'rgb(255, 0, 0)', bg: 'rgb(10, 20, 30)' },
    ]);
    expect(parseAnsi('\x1b[38;5;3mpal\x1b[38;5;244mgrey')).toEqual([
      { text: 'pal', fg: 3 },
      { text: 'grey', fg: 'rgb(128, 128, 128)' },
    ]);
  });

  it('drops non-colour escapes: cursor moves, erase line, OSC titles and hyperlinks', () => {
    const line = '\x1b[2K\x1b[1G\x1b]0;title\x07Copying blob \x1b]8;;https://x.test\x1b\\link\x1b]8;;\x1b\\ done\x1b[?25h';
    expect(parseAnsi(line)).toEqual([{ text: 'Copying blob link done' }]);
  });

  it('shows only the last rewrite of a carriage-return progress line', () => {
    expect(parseAnsi('Copying 10%\rCopying 50%\rCopying 100%\r')).toEqual([{ text: 'Copying 100%' }]);
  });

  it('never interprets markup: angle brackets stay text', () => {
    expect(parseAnsi('<img src=x onerror=alert(1)>')).toEqual([{ text: '<img src=x onerror=alert(1)>' }]);
  });

  it('ignores malformed sequences without losing the text after them', () => {
    expect(stripAnsi('a\x1b[38;5mb\x1b[999mc\x1bd')).toBe('abcd');
    expect(
      parseAnsi('a\x1b[38;5mb')
        .map((s) => s.text)
        .join(''),
    ).toBe('ab');
  });
});

describe('stripAnsi', () => {
  it('is the concatenated text of the segments', () => {
    const line = '\x1b[1;34m==>\x1b[0m \x1b[38;2;1;2;3mbuilding\x1b[0m step';
    expect(stripAnsi(line)).toBe(
      parseAnsi(line)
        .map((s) => s.text)
        .join(''),
    );
    expect(stripAnsi(line)).toBe('==> building step');
  });
});

describe('colour state across lines', () => {
  it('starts a line in the style the previous line left open and reports the style it leaves', () => {
    const first = 'plain \x1b[1;33mwarning: begins';
    const open = ansiEndStyle(first);
    expect(open).toEqual({ bold: true, fg: 3 });
    expect(parseAnsi('continues here', open)).toEqual([{ text: 'continues here', bold: true, fg: 3 }]);
    expect(parseAnsi('still \x1b[22mnot bold\x1b[0m plain', open)).toEqual([
      { text: 'still ', bold: true, fg: 3 },
      { text: 'not bold', fg: 3 },
      { text: ' plain' },
    ]);
    expect(ansiEndStyle('still \x1b[22mnot bold\x1b[0m plain', open)).toBe(NO_STYLE);
  });

  it('keeps the start style object for lines without escapes (no work, no new objects)', () => {
    const open = ansiEndStyle('\x1b[32m');
    expect(ansiEndStyle('no escapes here', open)).toBe(open);
  });

  it('counts colour codes in text a carriage return overwrote', () => {
    // A terminal shows "100%" in red: the SGR came before the rewrite.
    expect(parseAnsi('\x1b[31m10%\r100%')).toEqual([{ text: '100%', fg: 1 }]);
    expect(ansiEndStyle('\x1b[31m10%\r100%')).toEqual({ fg: 1 });
  });
});
