// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { EventSource } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { scriptedLogServer, type ScriptedLogServer } from '../test-support/sse-log-server.ts';
import { LogStore } from './log-store.ts';
import { connectLogStream, type EventSourceLike } from './log-stream.ts';
import { LogViewer } from './log-viewer.tsx';

let server: ScriptedLogServer | undefined;
afterEach(async () => {
  cleanup();
  await server?.close();
  server = undefined;
});

const ROW = 20;
const HEIGHT = 400;

function storeOf(lines: string[], ended = true): LogStore {
  const s = new LogStore();
  s.append(lines.map((line, i) => ({ id: `1-${i}`, line })));
  if (ended) s.end();
  return s;
}

function view(store: LogStore, props: Partial<Parameters<typeof LogViewer>[0]> = {}) {
  return render(
    <LogViewer
      store={store}
      downloadHref="/api/v1/builds/b/logs?platform=linux%2Famd64&download=1"
      label="Log of linux/amd64"
      initialHeight={HEIGHT}
      initialFollow={false}
      {...props}
    />,
  );
}

/** Line numbers currently in the DOM. */
const renderedLines = () => [...document.querySelectorAll('.vrow')].map((r) => Number((r as HTMLElement).dataset.index) + 1);
const rowOf = (lineNo: number) => document.querySelector(`.vrow[data-index="${lineNo - 1}"]`);

describe('<LogViewer>', () => {
  it('renders only a window of a 100,000-line log, with a scrollbar for all of it', () => {
    const store = storeOf(Array.from({ length: 100_000 }, (_, i) => `\x1b[32mline ${i + 1}\x1b[0m of the build`));
    const started = performance.now();
    view(store);
    const ms = performance.now() - started;
    const lines = renderedLines();
    expect(lines[0]).toBe(1);
    expect(lines.length).toBeLessThanOrEqual(HEIGHT / ROW + 2 * 10 + 1);
    expect(document.querySelectorAll('.log-line').length).toBe(lines.length);
    expect((document.querySelector('.vlist-spacer') as HTMLElement).style.height).toBe(`${100_000 * ROW}px`);
    expect(screen.getByText('100,000 lines')).toBeTruthy();
    expect(ms).toBeLessThan(2000);
  });

  it('scrolling moves the window', () => {
    view(storeOf(Array.from({ length: 100_000 }, (_, i) => `line ${i + 1}`)));
    const list = screen.getByRole('region', { name: 'Log of linux/amd64' });
    list.scrollTop = 50_000 * ROW;
    fireEvent.scroll(list);
    const lines = renderedLines();
    expect(lines).toContain(50_001);
    expect(lines).not.toContain(1);
    expect(rowOf(50_001)!.textContent).toContain('line 50001');
  });

  it('renders ANSI colours as styled spans and log text never as markup', () => {
    view(storeOf(['\x1b[1;31merror:\x1b[0m <b>not bold</b>', '\x1b[38;2;1;2;3mtruecolour']));
    const red = document.querySelector('.ansi-fg-1.ansi-bold')!;
    expect(red.textContent).toBe('error:');
    expect(rowOf(1)!.querySelector('b')).toBeNull();
    expect(rowOf(1)!.textContent).toContain('<b>not bold</b>');
    expect((rowOf(2)!.querySelector('.log-text span') as HTMLElement).style.color).toBe('rgb(1, 2, 3)');
  });

  it('follows new lines while following, and stays put when the user turned it off', () => {
    const store = storeOf(
      Array.from({ length: 100 }, (_, i) => `line ${i + 1}`),
      false,
    );
    view(store, { initialFollow: true });
    expect(renderedLines()).toContain(100);
    act(() => {
      store.append(Array.from({ length: 1000 }, (_, i) => ({ id: `2-${i}`, line: `more ${i + 1}` })));
    });
    expect(renderedLines()).toContain(1100);
    // Scrolling up by hand stops following; scrolling back to the end resumes it.
    const list = screen.getByRole('region', { name: 'Log of linux/amd64' });
    list.scrollTop = 500 * ROW;
    fireEvent.scroll(list);
    expect(screen.getByRole('button', { name: 'Follow' }).getAttribute('aria-pressed')).toBe('false');
    list.scrollTop = 1100 * ROW - HEIGHT;
    fireEvent.scroll(list);
    const follow = screen.getByRole('button', { name: 'Following' });
    expect(follow.getAttribute('aria-pressed')).toBe('true');
    fireEvent.click(follow);
    expect(screen.getByRole('button', { name: 'Follow' }).getAttribute('aria-pressed')).toBe('false');
    const before = renderedLines();
    act(() => {
      store.append(Array.from({ length: 500 }, (_, i) => ({ id: `3-${i}`, line: `later ${i + 1}` })));
    });
    expect(renderedLines()[0]).toBe(before[0]);
    expect(renderedLines()).not.toContain(1600);
    // Following again jumps to the end.
    fireEvent.click(screen.getByRole('button', { name: 'Follow' }));
    expect(renderedLines()).toContain(1600);
  });

  it('searches: counts matches, highlights them and steps with next/previous (Enter / Shift+Enter)', () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `step output ${i + 1}`);
    lines[9] = 'npm \x1b[31mERR!\x1b[0m missing script';
    lines[12_000] = 'npm ERR! code ELIFECYCLE';
    lines[19_500] = 'later: npm err! again';
    view(storeOf(lines));
    const box = screen.getByRole('searchbox', { name: 'Search log' });
    fireEvent.change(box, { target: { value: 'err!' } });
    expect(screen.getByText('1 / 3')).toBeTruthy();
    expect(renderedLines()).toContain(10);
    // The match is highlighted inside the red span without losing its colour.
    const current = document.querySelector('mark.match.current')!;
    expect(current.textContent).toBe('ERR!');
    expect(current.querySelector('.ansi-fg-1')).not.toBeNull();

    fireEvent.keyDown(box, { key: 'Enter' });
    expect(screen.getByText('2 / 3')).toBeTruthy();
    expect(renderedLines()).toContain(12_001);
    expect(rowOf(12_001)!.querySelector('mark.current')!.textContent).toBe('ERR!');
    fireEvent.click(screen.getByRole('button', { name: 'Next match' }));
    expect(screen.getByText('3 / 3')).toBeTruthy();
    expect(renderedLines()).toContain(19_501);
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(screen.getByText('1 / 3')).toBeTruthy();
    fireEvent.keyDown(box, { key: 'Enter', shiftKey: true });
    expect(screen.getByText('3 / 3')).toBeTruthy();
    fireEvent.change(box, { target: { value: 'no such text' } });
    expect(screen.getByText('no matches')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Next match' })).toHaveProperty('disabled', true);
  });

  it('jumps to the header of the failing step (of the last attempt)', () => {
    const lines = Array.from({ length: 30_000 }, (_, i) => `noise ${i + 1}`);
    lines[100] = 'STEP 3/4: RUN make test';
    lines[25_000] = '\x1b[1mSTEP 3/4: RUN make test\x1b[0m';
    lines[25_001] = 'FAIL: test_upload';
    const store = storeOf(lines, false);
    view(store, { failedStep: 'step 3/4: RUN make test', initialFollow: true });
    // While following (live), it does not jump by itself; the button does.
    expect(renderedLines()).not.toContain(25_001);
    fireEvent.click(screen.getByRole('button', { name: 'Jump to failing step' }));
    expect(renderedLines()).toContain(25_001);
    expect(rowOf(25_001)!.querySelector('.log-line')!.className).toContain('failed-step');
    expect(rowOf(101)).toBeNull();
  });

  it('opens the finished log of a failed task at the failing step', () => {
    const lines = Array.from({ length: 5_000 }, (_, i) => `noise ${i + 1}`);
    lines[4_000] = 'STEP 2/2: RUN false';
    view(storeOf(lines), { failedStep: 'step 2/2: RUN false' });
    expect(renderedLines()).toContain(4_001);
    expect(rowOf(4_001)!.querySelector('.log-line')!.className).toContain('failed-step');
  });

  it('offers the raw log for download', () => {
    view(storeOf(['x']));
    const link = screen.getByRole('link', { name: 'Download raw' });
    expect(link.getAttribute('href')).toBe('/api/v1/builds/b/logs?platform=linux%2Famd64&download=1');
    expect(link.hasAttribute('download')).toBe(true);
  });

  it('shows a live stream that dropped and resumed with every line exactly once', async () => {
    server = await scriptedLogServer({ total: 300, dropAfter: 120, overlap: 40 });
    const store = new LogStore();
    view(store, { initialFollow: true });
    const disconnect = connectLogStream(server.url, store, (url) => new EventSource(url) as unknown as EventSourceLike);
    await waitFor(() => expect(screen.getByText('300 lines')).toBeTruthy(), { timeout: 5000 });
    disconnect();
    expect(server.lastEventIds[1]).toBe('1700000000000-120');
    expect(store.lines).toEqual(Array.from({ length: 300 }, (_, i) => `line ${i + 1}`));
    // Following: the last line is on screen, and the row above it is its predecessor.
    expect(rowOf(300)!.textContent).toContain('line 300');
    expect(rowOf(299)!.textContent).toContain('line 299');
  });

  it('continues a colour left open on an earlier line, also far outside the rendered window', () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i + 1}`);
    lines[2] = '\x1b[31merror: the next lines are red';
    lines[5] = 'red until here\x1b[0m, then plain';
    lines[15_000] = '\x1b[1;32mgreen and bold from here';
    view(storeOf(lines));
    // Line 4 has no escape of its own: it is red because line 3 left red open.
    expect(rowOf(4)!.querySelector('.log-text .ansi-fg-1')!.textContent).toBe('line 4');
    expect(rowOf(6)!.querySelector('.ansi-fg-1')!.textContent).toBe('red until here');
    expect(rowOf(6)!.textContent).toContain(', then plain');
    expect(rowOf(7)!.querySelector('.log-text span')).toBeNull();
    // Jump far down: the window there starts in the state line 15,001 left open.
    const list = screen.getByRole('region', { name: 'Log of linux/amd64' });
    list.scrollTop = 19_000 * ROW;
    fireEvent.scroll(list);
    const far = rowOf(19_001)!.querySelector('.log-text span')!;
    expect(far.textContent).toBe('line 19001');
    expect(far.className).toBe('ansi-fg-2 ansi-bold');
    expect(rowOf(2)).toBeNull();
  });
});
