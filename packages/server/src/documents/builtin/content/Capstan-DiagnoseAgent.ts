// Capstan's own Command document: the agent's layer-by-layer self-check, run on the node through
// Run Command (now, or later from State Manager) so its result lands in the command's output.
export default JSON.stringify(
  {
    schemaVersion: '2.2',
    description: "Run the Capstan agent's self-check on the node: state files and permissions, endpoint, DNS, TCP, TLS, clock skew and the identity the server accepts. The step fails when any check fails.",
    parameters: {},
    mainSteps: [
      {
        action: 'aws:runShellScript',
        name: 'diagnose',
        precondition: { StringEquals: ['platformType', 'Linux'] },
        inputs: {
          timeoutSeconds: '120',
          // The agent tells its scripts how to run its own command line (shell-quoted words) and where its state is.
          runCommand: ['eval "$CAPSTAN_AGENT_CLI agent diagnose --state-dir \\"\\$CAPSTAN_AGENT_STATE_DIR\\""'],
        },
      },
    ],
  },
  null,
  2,
);
