// Capstan's own runbook: nothing runs until enough of the named approvers say so.
export default String.raw`schemaVersion: '0.3'
description: |-
  # Run a script after approval

  Waits (up to seven days) for the approvers to approve, then runs the script on the nodes
  with AWS-RunShellScript. A rejection, or no decision in time, ends the automation without
  running anything.
assumeRole: '{{ AutomationAssumeRole }}'
parameters:
  InstanceIds:
    type: StringList
    description: (Required) The managed nodes to run the script on.
    minItems: 1
    maxItems: 50
    allowedPattern: '^(mi|i)-[0-9a-f]{8,17}$'
  Commands:
    type: StringList
    description: (Required) The script to run, one line per item.
    minItems: 1
    displayType: textarea
  WorkingDirectory:
    type: String
    description: (Optional) The directory to run the script in. Empty means the agent's default directory.
    default: ''
    maxChars: 4096
  ExecutionTimeout:
    type: String
    description: (Optional) Seconds the script may run on each node. Default 3600; at most 172800.
    default: '3600'
    allowedPattern: '^([1-9][0-9]{0,4}|1[0-6][0-9]{4}|17[01][0-9]{3}|172[0-7][0-9]{2}|172800)$'
  Approvers:
    type: StringList
    description: (Required) Who may approve or reject, as IAM user or role names or ARNs.
    minItems: 1
    maxItems: 10
  MinRequiredApprovals:
    type: Integer
    description: (Optional) How many approvals the script needs.
    default: 1
    allowedValues:
      - '1'
      - '2'
      - '3'
      - '4'
      - '5'
  Message:
    type: String
    description: (Optional) What the approvers are shown.
    default: Approve running a script on the listed nodes.
    maxChars: 4096
  AutomationAssumeRole:
    type: String
    description: (Optional) The role the automation acts as. Empty means the permissions of whoever starts it.
    default: ''
    allowedPattern: '^$|^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$'
mainSteps:
  - name: ApproveScript
    action: aws:approve
    timeoutSeconds: 604800
    onFailure: Abort
    inputs:
      Approvers: '{{ Approvers }}'
      MinRequiredApprovals: '{{ MinRequiredApprovals }}'
      Message: '{{ Message }}'
  - name: RunScript
    action: aws:runCommand
    isEnd: true
    inputs:
      DocumentName: AWS-RunShellScript
      InstanceIds: '{{ InstanceIds }}'
      Parameters:
        commands: '{{ Commands }}'
        workingDirectory: '{{ WorkingDirectory }}'
        executionTimeout: '{{ ExecutionTimeout }}'
outputs:
  - ApproveScript.ApprovalStatus
  - RunScript.CommandId
  - RunScript.Output
`;
