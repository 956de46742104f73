// The documents every account sees with Owner Amazon. Each text lives in `content/` as a string
// module rather than a .json/.yaml file: the build then carries them with no copy step, and
// sources and dist read them the same way.
import configureAwsPackage from './content/AWS-ConfigureAWSPackage.js';
import gatherSoftwareInventory from './content/AWS-GatherSoftwareInventory.js';
import runDocument from './content/AWS-RunDocument.js';
import runPatchBaseline from './content/AWS-RunPatchBaseline.js';
import runPowerShellScript from './content/AWS-RunPowerShellScript.js';
import runShellScript from './content/AWS-RunShellScript.js';
import startInteractiveCommand from './content/AWS-StartInteractiveCommand.js';
import startNonInteractiveCommand from './content/AWS-StartNonInteractiveCommand.js';
import startPortForwardingSession from './content/AWS-StartPortForwardingSession.js';
import startPortForwardingSessionToRemoteHost from './content/AWS-StartPortForwardingSessionToRemoteHost.js';
import startSshSession from './content/AWS-StartSSHSession.js';
import updateSsmAgent from './content/AWS-UpdateSSMAgent.js';
import collectDiagnostics from './content/Capstan-CollectDiagnostics.js';
import diagnoseAgent from './content/Capstan-DiagnoseAgent.js';
import startFileCopySession from './content/Capstan-StartFileCopySession.js';
import startMultiPortForwardingSession from './content/Capstan-StartMultiPortForwardingSession.js';
import restartServiceOnNodes from './content/Capstan-RestartServiceOnNodes.js';
import runScriptWithApproval from './content/Capstan-RunScriptWithApproval.js';
import troubleshootNode from './content/Capstan-TroubleshootNode.js';
import sessionManagerRunShell from './content/SSM-SessionManagerRunShell.js';

export interface BuiltinDocument {
  name: string;
  documentType: 'Command' | 'Automation' | 'Session' | 'Package' | 'Policy';
  format: 'JSON' | 'YAML';
  content: string;
  targetType?: string;
  versionName?: string;
  description: string;
}

const command = (name: string, content: string, description: string): BuiltinDocument => ({ name, documentType: 'Command', format: 'JSON', content, description });
const session = (name: string, content: string, description: string): BuiltinDocument => ({ name, documentType: 'Session', format: 'JSON', content, description });
const runbook = (name: string, content: string, description: string): BuiltinDocument => ({ name, documentType: 'Automation', format: 'YAML', content, description });

const ALL: BuiltinDocument[] = [
  command('AWS-RunShellScript', runShellScript, 'Run a shell script or commands on Linux and macOS nodes.'),
  command('AWS-RunPowerShellScript', runPowerShellScript, 'Run a PowerShell script or commands.'),
  command('AWS-RunDocument', runDocument, 'Fetch an SSM document from GitHub, HTTPS/S3 or this account, and run it.'),
  command('AWS-RunPatchBaseline', runPatchBaseline, 'Scan for or install the patches the node\'s patch baseline approves.'),
  command('AWS-ConfigureAWSPackage', configureAwsPackage, 'Install or uninstall a Distributor package.'),
  command('AWS-UpdateSSMAgent', updateSsmAgent, 'Update the node\'s agent.'),
  command('Capstan-DiagnoseAgent', diagnoseAgent, 'Run the agent\'s self-check on the node (connectivity, TLS, clock, identity).'),
  { name: 'AWS-GatherSoftwareInventory', documentType: 'Policy', format: 'JSON', content: gatherSoftwareInventory, description: 'Collect software and configuration inventory (through State Manager).' },
  session('SSM-SessionManagerRunShell', sessionManagerRunShell, 'Session preferences and the default shell session.'),
  session('AWS-StartInteractiveCommand', startInteractiveCommand, 'A session that runs one command on a terminal.'),
  session('AWS-StartNonInteractiveCommand', startNonInteractiveCommand, 'A session that runs one command and streams its output.'),
  session('AWS-StartPortForwardingSession', startPortForwardingSession, 'Forward a local port to a port on the node.'),
  session('AWS-StartPortForwardingSessionToRemoteHost', startPortForwardingSessionToRemoteHost, 'Forward a local port through the node to another host.'),
  session('AWS-StartSSHSession', startSshSession, 'Reach the node\'s SSH server through a session (SSH ProxyCommand).'),
  session('Capstan-StartFileCopySession', startFileCopySession, 'Copy files to and from the node (capstan cp).'),
  session('Capstan-StartMultiPortForwardingSession', startMultiPortForwardingSession, 'Forward several local ports through the node in one session.'),
  runbook('Capstan-RestartServiceOnNodes', restartServiceOnNodes, 'Restart a systemd service on nodes and check that it is active again.'),
  runbook('Capstan-RunScriptWithApproval', runScriptWithApproval, 'Run a script on nodes once enough approvers approve.'),
  runbook('Capstan-CollectDiagnostics', collectDiagnostics, 'Collect host, resource, process and journal diagnostics from nodes.'),
  runbook('Capstan-TroubleshootNode', troubleshootNode, 'Run the agent self-check on an Online node, or say what to check on one that is not.'),
];

export const BUILTIN_DOCUMENTS: readonly BuiltinDocument[] = Object.freeze(ALL.map((d) => Object.freeze(d)));
