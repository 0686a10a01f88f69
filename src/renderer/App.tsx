// The shell: navigation for the views that exist, the view, the status bar and the palette.
import { CommandPalette, usePaletteShortcut } from './components/CommandPalette.js';
import { Icon } from './components/Icon.js';
import { StatusBar } from './components/StatusBar.js';
import { formatRoute, type ViewId } from './router/routes.js';
import { useActions, useLumen } from './store/react.js';
import { ConnectView } from './views/connect/ConnectView.js';
import { InstallView } from './views/install/InstallView.js';
import { StatusView } from './views/status/StatusView.js';
import { ServicesView } from './views/services/ServicesView.js';
import { IdentitiesView } from './views/identities/IdentitiesView.js';
import type { IconName } from './components/Icon.js';

const views: { id: ViewId; title: string; icon: IconName }[] = [
  { id: 'connect', title: 'Connect', icon: 'plug' },
  { id: 'install', title: 'Install', icon: 'file' },
  { id: 'status', title: 'Status', icon: 'check' },
  { id: 'services', title: 'Services', icon: 'server' },
  { id: 'identities', title: 'Identities', icon: 'key' },
];

export function App() {
  usePaletteShortcut();
  const route = useLumen((s) => s.ui.route);
  const actions = useActions();
  return (
    <div className="app">
      <aside className="sidebar">
        <div className="brand">
          <Icon name="logo" size={22} className="brand-mark" />
          <span>Lumen</span>
        </div>
        <nav aria-label="Views">
          <ul>
            {views.map((v) => (
              <li key={v.id}>
                <a
                  href={formatRoute({ view: v.id, context: route.context })}
                  className={`nav-link${route.view === v.id ? ' active' : ''}`}
                  aria-current={route.view === v.id ? 'page' : undefined}
                >
                  <Icon name={v.icon} size={16} />
                  {v.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" className="sidebar-search" onClick={() => actions.setPaletteOpen(true)}>
          <Icon name="search" size={14} />
          <span>Search commands</span>
        </button>
      </aside>
      <main className="main">
        {route.view === 'connect' && <ConnectView />}
        {route.view === 'install' && <InstallView />}
        {route.view === 'status' && <StatusView />}
        {route.view === 'services' && <ServicesView />}
        {route.view === 'identities' && <IdentitiesView />}
      </main>
      <StatusBar />
      <CommandPalette />
    </div>
  );
}
