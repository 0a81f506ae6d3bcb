/**
 * The settings view as a whole page (its top bar, the form, the footer). It is loaded on demand
 * (see App.tsx): the first view never needs it, so its code stays out of the first download.
 */
import { BackIcon } from './components/icons';
import { SettingsView } from './components/SettingsView';
import { useActions, useTray } from './context';

export default function SettingsPage() {
  const { showView } = useActions();
  return (
    <div className="app">
      <header className="topbar">
        <button type="button" className="icon-button" aria-label="Back" title="Back" onClick={() => showView('main')}>
          <BackIcon />
        </button>
        <h1 className="topbar__title">Settings</h1>
      </header>
      <main className="content">
        <SettingsView />
        <AppFooter />
      </main>
    </div>
  );
}

function AppFooter() {
  const app = useTray((s) => s.app);
  if (!app) return null;
  return (
    <p className="footer">
      LM Studio Tray {app.version} · {app.transport === 'web' ? 'web mode' : 'desktop'} · {app.platform}
    </p>
  );
}
