// biome-ignore-all lint/suspicious/noArrayIndexKey: a line's segments are positional and never reorder
import { memo, type CSSProperties, type ReactNode } from 'react';
import { parseAnsi, type AnsiSegment, type AnsiStyle } from './ansi.ts';

/** Palette colours are classes (themeable); 256-colour and truecolour are inline styles. */
function styleOf(seg: AnsiSegment): { className?: string; style?: CSSProperties } {
  const fg = seg.inverse ? (seg.bg ?? 'inv') : seg.fg;
  const bg = seg.inverse ? (seg.fg ?? 'inv') : seg.bg;
  const classes: string[] = [];
  const style: CSSProperties = {};
  if (typeof fg === 'number') classes.push(`ansi-fg-${fg}`);
  else if (fg === 'inv') classes.push('ansi-fg-inv');
  else if (fg) style.color = fg;
  if (typeof bg === 'number') classes.push(`ansi-bg-${bg}`);
  else if (bg === 'inv') classes.push('ansi-bg-inv');
  else if (bg) style.backgroundColor = bg;
  if (seg.bold) classes.push('ansi-bold');
  if (seg.dim) classes.push('ansi-dim');
  if (seg.italic) classes.push('ansi-italic');
  if (seg.underline) classes.push('ansi-underline');
  return {
    className: classes.length ? classes.join(' ') : undefined,
    style: Object.keys(style).length ? style : undefined,
  };
}

/** Ranges [start, end) in the plain text of the line to highlight (search matches). */
export type Highlight = { start: number; end: number; current: boolean };

/**
 * One log line: ANSI segments as spans, search matches as <mark>. Text is only ever a text node.
 * `start` is the style left open by the lines before (LogStore.styleAt).
 */
export const AnsiLine = memo(function AnsiLine({ text, start, highlights }: { text: string; start?: AnsiStyle; highlights?: readonly Highlight[] }) {
  const segments = parseAnsi(text, start);
  if (!highlights?.length) {
    return (
      <>
        {segments.map((seg, i) => {
          const { className, style } = styleOf(seg);
          return className || style ? (
            <span key={i} className={className} style={style}>
              {seg.text}
            </span>
          ) : (
            seg.text
          );
        })}
      </>
    );
  }
  const out: ReactNode[] = [];
  let offset = 0;
  segments.forEach((seg, si) => {
    const { className, style } = styleOf(seg);
    const segEnd = offset + seg.text.length;
    let pos = offset;
    for (const h of highlights) {
      if (h.end <= pos || h.start >= segEnd) continue;
      const from = Math.max(h.start, pos);
      const to = Math.min(h.end, segEnd);
      if (from > pos)
        out.push(
          <span key={`${si}-${pos}`} className={className} style={style}>
            {seg.text.slice(pos - offset, from - offset)}
          </span>,
        );
      out.push(
        <mark key={`${si}-m${from}`} className={h.current ? 'match current' : 'match'}>
          <span className={className} style={style}>
            {seg.text.slice(from - offset, to - offset)}
          </span>
        </mark>,
      );
      pos = to;
    }
    if (pos < segEnd)
      out.push(
        <span key={`${si}-${pos}`} className={className} style={style}>
          {seg.text.slice(pos - offset)}
        </span>,
      );
    offset = segEnd;
  });
  return <>{out}</>;
});
