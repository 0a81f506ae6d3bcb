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
          <button
            type="button"
            className="icon-button icon-button--small"
            aria-label="Dismiss error"
            title="Dismiss"
            onClick={() => dismissError(error.id)}
          >
            <CloseIcon />
          </button>
        </div>
      ))}
    </div>
  );
}
