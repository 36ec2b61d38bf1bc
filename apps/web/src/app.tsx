import { useEffect } from 'react';
import { AgentsPage } from './agents/agents-page.tsx';
import { SessionProvider, useSession } from './auth/session.tsx';
import { SignInPage } from './auth/sign-in-page.tsx';
import { BuildDetailPage } from './build-detail/build-detail-page.tsx';
import { BuildsPage } from './builds/builds-page.tsx';
import { RepoPage } from './repos/repo-page.tsx';
import { ReposPage } from './repos/repos-page.tsx';
import { Link, matchPath, Router, useRouter } from './router/router.tsx';

export function App() {
  return (
    <Router>
      <SessionProvider>
        <Shell />
      </SessionProvider>
    </Router>
  );
}

function Shell() {
  const { state, signOut } = useSession();
  if (state.status === 'loading') return <p className="muted page">Loading…</p>;
  if (state.status === 'signed-out') return <SignInPage reason={state.reason} />;
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/builds" className="brand">
          Archway
        </Link>
        <nav aria-label="Main">
          <NavLink href="/builds">Builds</NavLink>
          <NavLink href="/repos">Repositories</NavLink>
          <NavLink href="/agents">Agents</NavLink>
        </nav>
        <span className="who muted small">{state.session.name}</span>
        <button type="button" className="link-button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <Routes />
    </>
  );
}

function NavLink({ href, children }: { href: string; children: string }) {
  const { path } = useRouter();
  const current = path === href || path.startsWith(`${href}/`);
  return (
    <Link href={href} aria-current={current ? 'page' : undefined}>
      {children}
    </Link>
  );
}

function Routes() {
  const { path, navigate } = useRouter();
  const detail = matchPath('/builds/:id', path);
  const repo = matchPath('/repos/:id', path);
  useEffect(() => {
    if (path === '/' || path === '') navigate('/builds', true);
  }, [path, navigate]);
  const detailId = detail?.id;
  useEffect(() => {
    document.title = detailId
      ? `Build ${detailId.slice(0, 8)} · Archway`
      : path.startsWith('/agents')
        ? 'Agents · Archway'
        : path.startsWith('/repos')
          ? 'Repositories · Archway'
          : 'Builds · Archway';
  }, [path, detailId]);
  // Keyed: another build's page starts empty instead of showing the previous build for a frame.
  if (detail) return <BuildDetailPage key={detail.id} id={detail.id!} />;
  if (repo) return <RepoPage key={repo.id} id={repo.id!} />;
  if (path === '/repos') return <ReposPage />;
  if (path === '/agents') return <AgentsPage />;
  if (path === '/builds' || path === '/' || path === '') return <BuildsPage />;
  return (
    <main id="main" className="page">
      <h1>Not found</h1>
      <p>
        There is no page at <code>{path}</code>. <Link href="/builds">Go to builds</Link>.
      </p>
    </main>
  );
}
