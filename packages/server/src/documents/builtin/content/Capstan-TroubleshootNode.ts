// Capstan's own runbook: what the console's node diagnosis offers to run. An Online node runs the
// agent's self-check; for one that is not, the server can only say what it knows and what to check.
export default String.raw`schemaVersion: '0.3'
description: |-
  # Troubleshoot a managed node

  Looks the node up. If it is Online, runs the agent's self-check on it (Capstan-DiagnoseAgent)
  and reports the result. If it is not, nothing can run on it: the runbook reports when it was
  last seen and what to check on the machine itself.
assumeRole: '{{ AutomationAssumeRole }}'
parameters:
  InstanceId:
    type: String
    description: (Required) The managed node to troubleshoot.
    allowedPattern: '^(mi|i)-[0-9a-f]{8,17}$'
  AutomationAssumeRole:
    type: String
    description: (Optional) The role the automation acts as. Empty means the permissions of whoever starts it.
    default: ''
    allowedPattern: '^$|^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$'
mainSteps:
  - name: LookUp
    action: aws:executeAwsApi
    onFailure: Abort
    inputs:
      Service: ssm
      Api: DescribeInstanceInformation
      Filters:
        - Key: InstanceIds
          Values:
            - '{{ InstanceId }}'
    outputs:
      - Name: PingStatus
        Selector: $.InstanceInformationList[0].PingStatus
        Type: String
      - Name: Node
        Selector: $.InstanceInformationList[0]
        Type: StringMap
  - name: IsOnline
    action: aws:branch
    inputs:
      Choices:
        - NextStep: SelfCheck
          Variable: '{{ LookUp.PingStatus }}'
          StringEquals: Online
      Default: Advise
  - name: SelfCheck
    action: aws:runCommand
    timeoutSeconds: 300
    isEnd: true
    inputs:
      DocumentName: Capstan-DiagnoseAgent
      InstanceIds:
        - '{{ InstanceId }}'
  - name: Advise
    action: aws:executeScript
    isEnd: true
    inputs:
      Runtime: nodejs20.x
      Handler: advise
      InputPayload:
        node: '{{ InstanceId }}'
        info: '{{ LookUp.Node }}'
      Script: |-
        function advise(events) {
          const info = events.info || {};
          // A node that never connected has no last ping; its registration is the last sign of it.
          const seen = info.LastPingDateTime ? 'it last reached the server at ' + info.LastPingDateTime : 'it has not connected since it registered at ' + info.RegistrationDate;
          return {
            summary: events.node + ' is ' + info.PingStatus + '; ' + seen + (info.AgentVersion ? ' (agent ' + info.AgentVersion + ')' : '') + '.',
            check: [
              'the agent service runs on the machine (systemctl status capstan-agent)',
              'the machine reaches the server endpoint (capstan agent diagnose on the machine)',
              'the machine clock is right (TLS and signatures fail beyond 5 minutes of skew)',
              'the node was not deregistered (its identity is refused then)',
            ],
          };
        }
outputs:
  - LookUp.PingStatus
  - SelfCheck.Output
  - Advise.Payload
`;
