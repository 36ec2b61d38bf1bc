import { useCallback, useEffect, useImperativeHandle, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode, type Ref } from 'react';

export interface VirtualListHandle {
  scrollToIndex(index: number, align?: 'center' | 'start'): void;
  scrollToEnd(): void;
}

interface Props {
  count: number;
  rowHeight: number;
  renderRow(index: number): ReactNode;
  /** Keep the view pinned to the last row as rows are added. */
  follow: boolean;
  /** Called when the user scrolls away from the end (false) or back to it (true). */
  onFollowChange?(follow: boolean): void;
  /** Used until the real height is measured (and in environments without layout, like jsdom). */
  initialHeight?: number;
  overscan?: number;
  label: string;
  ref?: Ref<VirtualListHandle>;
}

/**
 * Windowed rendering with a fixed row height: only the rows in view (plus a small overscan) are
 * in the DOM, so 100k lines cost the same as 50. A spacer of count × rowHeight keeps the
 * scrollbar true to the whole log.
 */
export function VirtualList({ count, rowHeight, renderRow, follow, onFollowChange, initialHeight = 600, overscan = 10, label, ref }: Props) {
  const el = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(initialHeight);
  // Where our last programmatic scroll went: a scroll event landing there is ours, not the user's.
  const expectedTop = useRef<number | null>(null);
  const total = count * rowHeight;
  const maxTop = Math.max(0, total - height);

  const scrollTo = useCallback(
    (top: number) => {
      const clamped = Math.max(0, Math.min(top, Math.max(0, count * rowHeight - height)));
      expectedTop.current = clamped;
      if (el.current) el.current.scrollTop = clamped;
      setScrollTop(clamped);
    },
    [count, rowHeight, height],
  );

  useImperativeHandle(
    ref,
    () => ({
      scrollToIndex(index, align = 'center') {
        const top = index * rowHeight - (align === 'center' ? (height - rowHeight) / 2 : 0);
        scrollTo(top);
      },
      scrollToEnd() {
        scrollTo(Number.MAX_SAFE_INTEGER);
      },
    }),
    [rowHeight, height, scrollTo],
  );

  useLayoutEffect(() => {
    const node = el.current;
    if (!node) return;
    const measure = () => node.clientHeight > 0 && setHeight(node.clientHeight);
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(measure);
    ro.observe(node);
    return () => ro.disconnect();
  }, []);

  // Pin to the end while following; runs after the new rows are laid out.
  // biome-ignore lint/correctness/useExhaustiveDependencies: new rows (`count`) and a new `height` are the triggers
  useLayoutEffect(() => {
    if (follow) scrollTo(Number.MAX_SAFE_INTEGER);
  }, [follow, count, height, scrollTo]);

  useEffect(() => {
    if (scrollTop > maxTop) setScrollTop(maxTop);
  }, [scrollTop, maxTop]);

  const onScroll = () => {
    const node = el.current;
    if (!node) return;
    setScrollTop(node.scrollTop);
    if (expectedTop.current !== null && Math.abs(node.scrollTop - expectedTop.current) <= 1) return;
    expectedTop.current = null;
    // From our own geometry, not scrollHeight: the same in every browser (and in jsdom).
    const atEnd = node.scrollTop + height >= total - rowHeight;
    if (atEnd !== follow) onFollowChange?.(atEnd);
  };

  // End/Home jump to the ends of the whole log (the browser's own handling only knows the DOM).
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'End' && !e.shiftKey) {
      e.preventDefault();
      onFollowChange?.(true);
      scrollTo(Number.MAX_SAFE_INTEGER);
    } else if (e.key === 'Home' && !e.shiftKey) {
      e.preventDefault();
      onFollowChange?.(false);
      scrollTo(0);
    }
  };

  const top = Math.min(scrollTop, maxTop);
  const first = Math.max(0, Math.floor(top / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((top + height) / rowHeight) + overscan);
  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++) {
    rows.push(
      <div key={i} className="vrow" style={{ height: rowHeight }} data-index={i}>
        {renderRow(i)}
      </div>,
    );
  }
  return (
    // As tall as the log, up to the CSS max-height (short logs leave no empty black box).
    // A scrollable region must take keyboard focus to scroll with the keys (WCAG 2.1.1).
    // biome-ignore lint/a11y/useSemanticElements lint/a11y/noNoninteractiveTabindex: see above
    <div ref={el} className="vlist" style={{ height: total + 2 }} onScroll={onScroll} onKeyDown={onKeyDown} tabIndex={0} role="region" aria-label={label}>
      <div className="vlist-spacer" style={{ height: total }}>
        <div className="vlist-window" style={{ transform: `translateY(${first * rowHeight}px)` }}>
          {rows}
        </div>
      </div>
    </div>
  );
}
