// Capstan's own runbook. Values reach the shell inside single quotes, so the patterns keep
// quotes and spaces out.
export default String.raw`schemaVersion: '0.3'
description: |-
  # Restart a service on managed nodes

  Restarts a systemd unit on every node listed, then checks that it is active again. The
  restart and the check each run as one AWS-RunShellScript command across the nodes, so their
  output and status per node are in Run Command.
assumeRole: '{{ AutomationAssumeRole }}'
parameters:
  InstanceIds:
    type: StringList
    description: (Required) The managed nodes to restart the service on.
    minItems: 1
    maxItems: 50
    allowedPattern: '^(mi|i)-[0-9a-f]{8,17}$'
  ServiceName:
    type: String
    description: (Required) The systemd unit to restart, for example nginx or nginx.service.
    allowedPattern: '^[A-Za-z0-9][A-Za-z0-9@._:-]{0,254}$'
  AutomationAssumeRole:
    type: String
    description: (Optional) The role the automation acts as. Empty means the permissions of whoever starts it.
    default: ''
    allowedPattern: '^$|^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$'
mainSteps:
  - name: RestartService
    action: aws:runCommand
    timeoutSeconds: 900
    onFailure: Abort
    inputs:
      DocumentName: AWS-RunShellScript
      InstanceIds: '{{ InstanceIds }}'
      Parameters:
        commands:
          - "systemctl restart -- '{{ ServiceName }}'"
        executionTimeout: '600'
  - name: VerifyService
    action: aws:runCommand
    timeoutSeconds: 300
    isEnd: true
    inputs:
      DocumentName: AWS-RunShellScript
      InstanceIds: '{{ InstanceIds }}'
      Parameters:
        commands:
          - sleep 2
          - "systemctl is-active -- '{{ ServiceName }}'"
        executionTimeout: '120'
outputs:
  - RestartService.CommandId
  - VerifyService.Output
`;
