import type { KeyboardEvent } from 'react';
import { Link } from '../router/router';

interface NavEntry {
  /** Names the entry's `data-testid="nav-<id>"`, which browser tests click by. */
  id: string;
  label: string;
  to: string;
}

interface NavGroup {
  id: string;
  heading: string;
  entries: NavEntry[];
}

/** The console's features grouped as AWS Systems Manager's console groups them; a new page is one line in its group. */
const NAV: NavGroup[] = [
  {
    id: 'operations',
    heading: 'Operations',
    entries: [
      { id: 'dashboard', label: 'Dashboard', to: '/' },
      { id: 'opscenter', label: 'OpsCenter', to: '/opscenter' },
      { id: 'incidents', label: 'Incident Manager', to: '/incidents' },
      { id: 'compliance', label: 'Compliance', to: '/compliance' },
      { id: 'inventory', label: 'Inventory', to: '/inventory' },
    ],
  },
  {
    id: 'node-management',
    heading: 'Node management',
    entries: [
      { id: 'nodes', label: 'Nodes', to: '/nodes' },
      { id: 'run-command', label: 'Run Command', to: '/run-command' },
      { id: 'sessions', label: 'Session Manager', to: '/sessions' },
      { id: 'state-manager', label: 'State Manager', to: '/state-manager' },
      { id: 'patch-baselines', label: 'Patch Manager', to: '/patch-baselines' },
    ],
  },
  {
    id: 'change-management',
    heading: 'Change management',
    entries: [
      { id: 'automation', label: 'Automation', to: '/automation' },
      { id: 'maintenance-windows', label: 'Maintenance Windows', to: '/maintenance-windows' },
      { id: 'documents', label: 'Documents', to: '/documents' },
    ],
  },
  {
    id: 'application-management',
    heading: 'Application management',
    entries: [{ id: 'parameters', label: 'Parameter Store', to: '/parameters' }],
  },
];

/** An entry is current on its own page and on every page beneath it; the dashboard owns `/` alone. */
function isCurrent(entry: NavEntry, path: string): boolean {
  if (entry.to === '/') return path === '/';
  return path === entry.to || path.startsWith(`${entry.to}/`);
}

/**
 * The main navigation: a sidebar on wide screens, and below the fold width a list the header's
 * Menu button opens (`open`). Each group is a list named by its heading, so a screen reader
 * announces "Node management, list, 5 items".
 */
export function MainNav({ path, open, onEscape }: { path: string; open: boolean; onEscape: () => void }) {
  const keyDown = (e: KeyboardEvent<HTMLElement>) => {
    if (open && e.key === 'Escape') {
      e.preventDefault();
      onEscape();
    }
  };
  return (
    <nav id="main-nav" className={`main-nav${open ? ' open' : ''}`} aria-label="Main" onKeyDown={keyDown}>
      {NAV.map((group) => (
        <div key={group.id} className="nav-group" data-nav-group={group.id}>
          <h2 id={`nav-heading-${group.id}`} className="nav-heading">
            {group.heading}
          </h2>
          <ul aria-labelledby={`nav-heading-${group.id}`}>
            {group.entries.map((entry) => (
              <li key={entry.id}>
                <Link to={entry.to} aria-current={isCurrent(entry, path) ? 'page' : undefined} data-testid={`nav-${entry.id}`}>
                  {entry.label}
                </Link>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </nav>
  );
}
