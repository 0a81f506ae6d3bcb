import { useActions, useTray } from '../context';
import { CloseIcon } from './icons';

/** Failed commands, each in its own alert with what went wrong and what to do, until dismissed. */
export function ErrorList() {
  const errors = useTray((s) => s.errors);
  const { dismissError } = useActions();
  if (errors.length === 0) return null;
  return (
    <div className="alerts">
      {errors.map((error) => (
        <div key={error.id} role="alert" className="alert">
          <p className="alert__message">{error.message}</p>
          <DismissButton label="Dismiss error" onClick={() => dismissError(error.id)} />
        </div>
      ))}
    </div>
  );
}

/**
 * What the user's last action also did, said politely (a Keep switch their unload turned off). The
 * live region is always there, empty: screen readers announce text added to a region they know.
 */
export function Notice() {
  const notice = useTray((s) => s.notice);
  const { dismissNotice } = useActions();
  return (
    <div className={notice ? 'notice' : 'notice notice--empty'}>
      <p role="status" className="notice__message">
        {notice}
      </p>
      {notice && <DismissButton label="Dismiss message" onClick={dismissNotice} />}
    </div>
  );
}

function DismissButton({ label, onClick }: { label: string; onClick: () => void }) {
  return (
    <button
      type="button"
      className="icon-button icon-button--small"
      aria-label={label}
      title="Dismiss"
      onClick={onClick}
    >
      <CloseIcon />
    </button>
  );
}
