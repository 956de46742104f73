// Capstan's own runbook. The first step may fail on a node without some tool and the logs are
// still collected; values reach the shell inside double quotes, so the patterns keep quotes,
// dollar signs and backslashes out.
export default String.raw`schemaVersion: '0.3'
description: |-
  # Collect diagnostics

  Gathers what a first look at a misbehaving node needs: host, memory, disks, network, the
  busiest processes and failed units, then recent journal entries (of one unit, or all
  warnings and worse). Everything read-only.
assumeRole: '{{ AutomationAssumeRole }}'
parameters:
  InstanceIds:
    type: StringList
    description: (Required) The managed nodes to collect from.
    minItems: 1
    maxItems: 50
    allowedPattern: '^(mi|i)-[0-9a-f]{8,17}$'
  ServiceName:
    type: String
    description: (Optional) A systemd unit whose journal to collect. Empty collects warnings and worse from every unit.
    default: ''
    allowedPattern: '^$|^[A-Za-z0-9][A-Za-z0-9@._:-]{0,254}$'
  Since:
    type: String
    description: (Optional) How far back the journal goes, in journalctl's words (1 hour ago, yesterday, 2024-05-01 08:00).
    default: 1 hour ago
    allowedPattern: '^[A-Za-z0-9 :+-]{1,40}$'
  LogLines:
    type: Integer
    description: (Optional) At most this many journal lines.
    default: 200
    allowedPattern: '^[1-9][0-9]{0,4}$'
  AutomationAssumeRole:
    type: String
    description: (Optional) The role the automation acts as. Empty means the permissions of whoever starts it.
    default: ''
    allowedPattern: '^$|^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$'
mainSteps:
  - name: CollectSystem
    action: aws:runCommand
    timeoutSeconds: 600
    onFailure: Continue
    inputs:
      DocumentName: AWS-RunShellScript
      InstanceIds: '{{ InstanceIds }}'
      Parameters:
        commands:
          - 'echo "== host"; uname -a; head -n 4 /etc/os-release 2>/dev/null; uptime'
          - 'echo "== memory"; free -m 2>/dev/null || vm_stat'
          - 'echo "== disks"; df -hP'
          - 'echo "== network"; ip -brief address 2>/dev/null || ifconfig'
          - 'echo "== busiest processes"; ps -eo pid,user,%cpu,%mem,etime,comm --sort=-%cpu 2>/dev/null | head -n 15 || ps aux | head -n 15'
          - 'echo "== failed units"; systemctl --failed --no-pager 2>/dev/null || true'
        executionTimeout: '300'
  - name: CollectLogs
    action: aws:runCommand
    timeoutSeconds: 600
    isEnd: true
    inputs:
      DocumentName: AWS-RunShellScript
      InstanceIds: '{{ InstanceIds }}'
      Parameters:
        commands:
          - 'unit="{{ ServiceName }}"'
          - 'if [ -n "$unit" ]; then journalctl --no-pager -u "$unit" --since "{{ Since }}" -n {{ LogLines }}; else journalctl --no-pager -p warning --since "{{ Since }}" -n {{ LogLines }}; fi'
        executionTimeout: '300'
outputs:
  - CollectSystem.Output
  - CollectLogs.Output
`;
