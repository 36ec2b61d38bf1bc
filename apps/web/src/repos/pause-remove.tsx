/** Pause/Resume and Remove of a schedule or a notification. */
export function PauseRemove({ enabled, onToggle, onRemove }: { enabled: boolean; onToggle(): void; onRemove(): void }) {
  return (
    <>
      <button type="button" onClick={onToggle}>
        {enabled ? 'Pause' : 'Resume'}
      </button>{' '}
      <button type="button" className="danger" onClick={onRemove}>
        Remove
      </button>
    </>
  );
}
