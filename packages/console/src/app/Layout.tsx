import { useEffect, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import { signOut } from '../api/client';
import { sessionStore, type Principal } from '../api/session';
import { Link, useLocation } from '../router/router';
import { MainNav } from './MainNav';

export function Layout({ principal, children }: { principal: Principal; children: ReactNode }) {
  const { path } = useLocation();
  const session = useSyncExternalStore(sessionStore.subscribe, sessionStore.get);
  const [menuOpen, setMenuOpen] = useState(false);
  const main = useRef<HTMLElement>(null);
  const menuButton = useRef<HTMLButtonElement>(null);
  const firstPath = useRef(path);

  // After a navigation, put keyboard and screen-reader focus at the top of the new page.
  useEffect(() => {
    setMenuOpen(false);
    if (path !== firstPath.current) {
      firstPath.current = '';
      main.current?.focus({ preventScroll: false });
      window.scrollTo(0, 0);
    }
  }, [path]);

  // Escape from the open list hands focus back to the button that opened it.
  const closeMenu = () => {
    setMenuOpen(false);
    menuButton.current?.focus();
  };

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          <svg viewBox="0 0 32 32" width="22" height="22" aria-hidden="true" focusable="false">
            <circle cx="16" cy="16" r="9" fill="none" stroke="currentColor" strokeWidth="3" />
            <path d="M16 3v26M3 16h26" stroke="currentColor" strokeWidth="2" />
          </svg>
          Capstan
        </Link>
        <button
          ref={menuButton}
          type="button"
          className="menu-button"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen((o) => !o)}
          onKeyDown={(e) => {
            if (menuOpen && e.key === 'Escape') setMenuOpen(false);
          }}
          data-testid="menu-button"
        >
          Menu
        </button>
        <div className="account">
          <RegionPicker />
          <span className="who" title={principal.arn} data-testid="principal">
            {principal.userName} <span className="muted">@ {principal.accountId}</span>
          </span>
          {session?.signInMethod === 'Password' ? (
            <Link to="/change-password" className="button button-quiet" aria-current={path === '/change-password' ? 'page' : undefined} data-testid="nav-change-password">
              Change password
            </Link>
          ) : null}
          <button type="button" className="button button-quiet" onClick={() => void signOut()} data-testid="sign-out">
            Sign out
          </button>
        </div>
      </header>
      <div className="layout-body">
        <MainNav path={path} open={menuOpen} onEscape={closeMenu} />
        <main id="main" ref={main} tabIndex={-1} className="main">
          {children}
        </main>
      </div>
    </div>
  );
}

/** The region rides on each call as x-capstan-region; blank means the server's default. */
function RegionPicker() {
  const region = useSyncExternalStore(sessionStore.subscribe, sessionStore.region);
  const [draft, setDraft] = useState(region ?? '');
  return (
    <form
      className="region"
      onSubmit={(e) => {
        e.preventDefault();
        sessionStore.setRegion(draft.trim());
      }}
    >
      <label htmlFor="region-input" className="visually-hidden">
        Region
      </label>
      <input id="region-input" placeholder="default region" value={draft} onChange={(e) => setDraft(e.target.value)} onBlur={() => sessionStore.setRegion(draft.trim())} size={12} data-testid="region" />
    </form>
  );
}
