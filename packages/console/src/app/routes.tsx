import { lazy, Suspense, useEffect, useSyncExternalStore } from 'react';
import { sessionStore } from '../api/session';
import { Page } from '../components/Page';
import { Loading } from '../components/Status';
import { ChangePasswordPage } from '../pages/account/ChangePasswordPage';
import { AssociationPage } from '../pages/associations/AssociationPage';
import { AssociationsPage } from '../pages/associations/AssociationsPage';
import { CreateAssociationPage } from '../pages/associations/CreateAssociationPage';
import { AutomationPage } from '../pages/automation/AutomationPage';
import { ExecutionPage } from '../pages/automation/ExecutionPage';
import { StartAutomationPage } from '../pages/automation/StartAutomationPage';
import { CompliancePage } from '../pages/compliance/CompliancePage';
import { IncidentPage } from '../pages/incidents/IncidentPage';
import { IncidentsPage } from '../pages/incidents/IncidentsPage';
import { InsightPage } from '../pages/incidents/InsightPage';
import { ResponsePlansPage } from '../pages/incidents/ResponsePlansPage';
import { OpsCenterPage } from '../pages/opscenter/OpsCenterPage';
import { OpsItemPage } from '../pages/opscenter/OpsItemPage';
import { DashboardPage } from '../pages/dashboard/DashboardPage';
import { DocumentEditorPage } from '../pages/documents/DocumentEditorPage';
import { DocumentPage } from '../pages/documents/DocumentPage';
import { DocumentsPage } from '../pages/documents/DocumentsPage';
import { InventoryPage } from '../pages/inventory/InventoryPage';
import { CreateWindowPage } from '../pages/maintenance/CreateWindowPage';
import { WindowExecutionPage } from '../pages/maintenance/WindowExecutionPage';
import { WindowPage } from '../pages/maintenance/WindowPage';
import { WindowsPage } from '../pages/maintenance/WindowsPage';
import { NodePage } from '../pages/nodes/NodePage';
import { NodesPage } from '../pages/nodes/NodesPage';
import { ParameterEditPage } from '../pages/parameters/ParameterEditPage';
import { ParameterPage } from '../pages/parameters/ParameterPage';
import { ParametersPage } from '../pages/parameters/ParametersPage';
import { BaselineFormPage } from '../pages/patching/BaselineFormPage';
import { BaselinePage } from '../pages/patching/BaselinePage';
import { BaselinesPage } from '../pages/patching/BaselinesPage';
import { CommandPage } from '../pages/run-command/CommandPage';
import { HistoryPage } from '../pages/run-command/HistoryPage';
import { RunCommandPage } from '../pages/run-command/RunCommandPage';
import { SessionsPage } from '../pages/sessions/SessionsPage';
import { Link, navigate, useLocation, useRoute, type Route } from '../router/router';

// xterm.js and the session client (about 400 kB) load when a shell is opened, not with the console.
const ShellPage = lazy(() => import('../pages/sessions/ShellPage'));
const ReplayPage = lazy(() => import('../pages/sessions/ReplayPage'));

const ROUTES: Route[] = [
  { pattern: '/', render: () => <DashboardPage /> },
  { pattern: '/nodes', render: () => <NodesPage /> },
  { pattern: '/nodes/:id', render: (p) => <NodePage id={p.id!} /> },
  { pattern: '/inventory', render: () => <InventoryPage /> },
  { pattern: '/run-command', render: () => <RunCommandPage /> },
  { pattern: '/run-command/history', render: () => <HistoryPage /> },
  { pattern: '/run-command/commands/:id', render: (p) => <CommandPage id={p.id!} /> },
  { pattern: '/automation', render: () => <AutomationPage /> },
  { pattern: '/automation/start', render: () => <StartAutomationPage /> },
  { pattern: '/automation/executions/:id', render: (p) => <ExecutionPage id={p.id!} /> },
  { pattern: '/state-manager', render: () => <AssociationsPage /> },
  { pattern: '/state-manager/create', render: () => <CreateAssociationPage /> },
  { pattern: '/state-manager/associations/:id', render: (p) => <AssociationPage id={p.id!} /> },
  { pattern: '/compliance', render: () => <CompliancePage /> },
  { pattern: '/opscenter', render: () => <OpsCenterPage /> },
  { pattern: '/opscenter/items/:id', render: (p) => <OpsItemPage id={p.id!} /> },
  { pattern: '/incidents', render: () => <IncidentsPage /> },
  { pattern: '/incidents/record', render: () => <IncidentPage /> },
  { pattern: '/incidents/response-plans', render: () => <ResponsePlansPage /> },
  { pattern: '/incidents/response-plans/insight', render: () => <InsightPage /> },
  { pattern: '/patch-baselines', render: () => <BaselinesPage /> },
  { pattern: '/patch-baselines/create', render: () => <BaselineFormPage /> },
  { pattern: '/patch-baselines/view/:id', render: (p) => <BaselinePage id={p.id!} /> },
  { pattern: '/patch-baselines/view/:id/edit', render: (p) => <BaselineFormPage id={p.id!} /> },
  { pattern: '/maintenance-windows', render: () => <WindowsPage /> },
  { pattern: '/maintenance-windows/create', render: () => <CreateWindowPage /> },
  { pattern: '/maintenance-windows/:id', render: (p) => <WindowPage id={p.id!} /> },
  { pattern: '/maintenance-windows/:windowId/executions/:id', render: (p) => <WindowExecutionPage windowId={p.windowId!} id={p.id!} /> },
  { pattern: '/parameters', render: () => <ParametersPage /> },
  { pattern: '/parameters/view', render: () => <ParameterPage /> },
  { pattern: '/parameters/new', render: () => <ParameterEditPage mode="create" /> },
  { pattern: '/parameters/edit', render: () => <ParameterEditPage mode="edit" /> },
  { pattern: '/documents', render: () => <DocumentsPage /> },
  { pattern: '/documents/new', render: () => <DocumentEditorPage /> },
  { pattern: '/documents/view/:name', render: (p) => <DocumentPage name={p.name!} /> },
  { pattern: '/documents/view/:name/edit', render: (p) => <DocumentEditorPage name={p.name!} /> },
  { pattern: '/sessions', render: () => <SessionsPage /> },
  { pattern: '/change-password', render: () => <ChangePasswordPage /> },
  {
    pattern: '/sessions/shell/:target',
    render: (p) => (
      <Suspense fallback={<Loading label="Loading the terminal…" />}>
        <ShellPage target={p.target!} />
      </Suspense>
    ),
  },
  {
    pattern: '/sessions/replay/:id',
    render: (p) => (
      <Suspense fallback={<Loading label="Loading the terminal…" />}>
        <ReplayPage id={p.id!} />
      </Suspense>
    ),
  },
  // The sign-in form lives outside the routes; a signed-in user who lands on it goes home.
  { pattern: '/sign-in', render: () => <DashboardPage /> },
];

export function AppRoutes() {
  const session = useSyncExternalStore(sessionStore.subscribe, sessionStore.get);
  const { path } = useLocation();
  // A session that must set a new password can do nothing else: the server refuses its other calls.
  const held = session?.passwordChangeRequired === true;
  useEffect(() => {
    if (held && path !== '/change-password') navigate('/change-password', { replace: true });
  }, [held, path]);
  const found = useRoute(ROUTES);
  if (held) return <ChangePasswordPage />;
  if (!found) {
    return (
      <Page title="Not found">
        <p>There is no console page at this address.</p>
        <p>
          <Link to="/">Go to the dashboard</Link>
        </p>
      </Page>
    );
  }
  // The key remounts a page when its parameters change, so no state leaks between two nodes.
  return <div key={found.route.pattern + JSON.stringify(found.params)}>{found.route.render(found.params)}</div>;
}
