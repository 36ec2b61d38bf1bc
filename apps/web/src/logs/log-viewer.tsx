import { useCallback, useEffect, useId, useMemo, useRef, useState, useSyncExternalStore, type KeyboardEvent } from 'react';
import { AnsiLine } from './ansi-line.tsx';
import type { LogStore } from './log-store.ts';
import { findFailedStepLine, findMatches, matchRanges } from './search.ts';
import { VirtualList, type VirtualListHandle } from './virtual-list.tsx';

const ROW_HEIGHT = 20;

interface Props {
  store: LogStore;
  /** The task's failedStep (e.g. "STEP 3/5: RUN make"); enables "Jump to failing step". */
  failedStep?: string | null;
  downloadHref: string;
  label: string;
  /** Follow new lines from the start (live tasks). */
  initialFollow?: boolean;
  initialHeight?: number;
}

export function LogViewer({ store, failedStep, downloadHref, label, initialFollow = true, initialHeight }: Props) {
  const version = useSyncExternalStore(store.subscribe, store.version);
  const list = useRef<VirtualListHandle>(null);
  const [follow, setFollow] = useState(initialFollow);
  const [query, setQuery] = useState('');
  const [current, setCurrent] = useState(0);
  const [markedLine, setMarkedLine] = useState<number | null>(null);
  const searchId = useId();

  // `version` stands for the store's contents: recompute when lines arrive.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the trigger (see above)
  const matches = useMemo(() => findMatches(store, query), [store, query, version]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the trigger (see above)
  const failedLine = useMemo(() => findFailedStepLine(store, failedStep), [store, failedStep, version]);
  const currentLine = matches.length ? matches[Math.min(current, matches.length - 1)]! : null;

  const goTo = useCallback((line: number) => {
    setFollow(false);
    setMarkedLine(line);
    list.current?.scrollToIndex(line, 'center');
  }, []);

  const step = (delta: number) => {
    if (matches.length === 0) return;
    const next = (current + delta + matches.length) % matches.length;
    setCurrent(next);
    goTo(matches[next]!);
  };

  // A finished log of a failed task opens at the failing step: that is what the reader came for.
  const autoJumped = useRef(initialFollow);
  useEffect(() => {
    if (autoJumped.current || !store.ended || failedLine === null) return;
    autoJumped.current = true;
    goTo(failedLine);
  }, [store.ended, failedLine, goTo]);

  // A new query jumps to its first match (only on query changes, not on new lines).
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a new query jumps (see above)
  useEffect(() => {
    setCurrent(0);
    if (query && matches.length) goTo(matches[0]!);
  }, [query]);

  const onSearchKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      step(e.shiftKey ? -1 : 1);
    } else if (e.key === 'Escape') {
      setQuery('');
    }
  };

  const renderRow = (i: number) => {
    const text = store.lines[i] ?? '';
    const highlights = query ? matchRanges(store.searchText(i), query).map((r) => ({ ...r, current: i === currentLine })) : undefined;
    const classes = ['log-line'];
    if (i === failedLine) classes.push('failed-step');
    if (i === markedLine) classes.push('marked');
    return (
      <div className={classes.join(' ')}>
        <span className="log-lineno" aria-hidden="true">
          {i + 1}
        </span>
        <span className="log-text">
          <AnsiLine text={text} start={store.styleAt(i)} highlights={highlights} />
        </span>
      </div>
    );
  };

  return (
    <div className="log-viewer">
      <div className="log-toolbar" role="toolbar" aria-label={`${label} tools`}>
        <div className="log-search">
          <label className="visually-hidden" htmlFor={searchId}>
            Search log
          </label>
          <input id={searchId} type="search" placeholder="Search log" value={query} onChange={(e) => setQuery(e.target.value)} onKeyDown={onSearchKey} />
          <button type="button" onClick={() => step(-1)} disabled={!matches.length} aria-label="Previous match">
            ↑
          </button>
          <button type="button" onClick={() => step(1)} disabled={!matches.length} aria-label="Next match">
            ↓
          </button>
          <span className="log-count" aria-live="polite">
            {query ? (matches.length ? `${Math.min(current, matches.length - 1) + 1} / ${matches.length}` : 'no matches') : ''}
          </span>
        </div>
        {failedStep && (
          <button type="button" onClick={() => failedLine !== null && goTo(failedLine)} disabled={failedLine === null}>
            Jump to failing step
          </button>
        )}
        <button type="button" aria-pressed={follow} onClick={() => setFollow((f) => !f)}>
          {follow ? 'Following' : 'Follow'}
        </button>
        <a className="button" href={downloadHref} download>
          Download raw
        </a>
        <span className="log-meta">
          {store.length.toLocaleString()} lines{store.ended ? '' : ' · live'}
        </span>
      </div>
      {store.error && (
        <p className="log-error" role="alert">
          {store.error}
        </p>
      )}
      <VirtualList
        ref={list}
        count={store.length}
        rowHeight={ROW_HEIGHT}
        renderRow={renderRow}
        follow={follow}
        onFollowChange={setFollow}
        label={label}
        initialHeight={initialHeight}
      />
      {store.length === 0 && <p className="log-empty">{store.ended ? 'This log is empty.' : 'Waiting for log lines…'}</p>}
    </div>
  );
}
