export interface UnitOptions {
  /** The command line that starts `capstan`, before `agent run` (absolute paths: systemd has no PATH search for relative ones). */
  command: string[];
  stateDir: string;
  /** Seconds before systemd restarts a dead agent; chosen per host so a fleet does not restart in lockstep. */
  restartSec: number;
  /** Run `agent supervise`, which can carry out AWS-UpdateSSMAgent, instead of `agent run`. */
  supervise?: boolean;
}

/** systemd splits ExecStart on spaces and treats `%` and `$` specially. */
function quote(arg: string): string {
  const escaped = arg.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /[\s"'\\]/.test(escaped) ? `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : escaped;
}

/** A per-host restart delay between 5 and 15 seconds. */
export function jitteredRestartSec(random = Math.random): number {
  return 5 + Math.floor(random() * 11);
}

/**
 * The agent will run operator commands as root, so the sandboxing that would confine those
 * commands (ProtectSystem, ProtectHome, NoNewPrivileges, PrivateTmp, capability bounding) is
 * deliberately absent; only options that cannot get in a command's way are set.
 */
export function systemdUnit(o: UnitOptions): string {
  return `# Written by \`capstan agent install-service\`; remove with \`capstan agent uninstall-service\`.
[Unit]
Description=Capstan agent (managed node of a Capstan server)
Wants=network-online.target
After=network-online.target
# Never stop retrying: a node that gave up is unreachable until someone logs in.
StartLimitIntervalSec=0

[Service]
Type=simple
ExecStart=${[...o.command, 'agent', o.supervise ? 'supervise' : 'run', '--state-dir', o.stateDir].map(quote).join(' ')}
Restart=always
RestartSec=${o.restartSec}
# Commands the agent started survive an agent restart or upgrade. (A supervised agent stops
# with its supervisor by itself.)
KillMode=process
# The identity and anything the agent writes stay private to root.
UMask=0077
# Under memory pressure the kernel should pick a workload, not the way in to fix it.
OOMScoreAdjust=-500
LockPersonality=yes
RestrictRealtime=yes

[Install]
WantedBy=multi-user.target
`;
}
