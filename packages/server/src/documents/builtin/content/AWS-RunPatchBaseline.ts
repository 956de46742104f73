// Written for Capstan; parameter names, types, defaults and rules are AWS's, the URL patterns a
// little stricter: every value is quoted into a shell line, so none may contain a quote. The
// evaluation itself (baseline snapshot, apt/yum, reboot with exit 194) is the agent's
// `capstan agent patch-baseline`, one entry point on every platform.
export default String.raw`{
  "schemaVersion": "2.2",
  "description": "Scan a node for missing patches, or install them, following the patch baseline of the node's patch group (or the default baseline), and report patch compliance.",
  "parameters": {
    "Operation": {
      "type": "String",
      "description": "(Required) Scan reports which approved patches are missing; Install installs them, then reboots if RebootOption allows it.",
      "allowedValues": ["Scan", "Install"]
    },
    "AssociationId": {
      "type": "String",
      "default": "",
      "description": "(Optional) The State Manager association this run belongs to; its compliance is recorded against it.",
      "allowedPattern": "^$|^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    },
    "SnapshotId": {
      "type": "String",
      "default": "",
      "description": "(Optional) A GUID naming the baseline snapshot; nodes patched with the same id get exactly the same approved patches. Maintenance windows supply one.",
      "allowedPattern": "^$|^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    },
    "InstallOverrideList": {
      "type": "String",
      "default": "",
      "description": "(Optional) An https:// or s3:// URL of a YAML list of patches to install instead of the baseline's. Scan ignores it.",
      "allowedPattern": "^$|^https://[-A-Za-z0-9._~:/?#@!$&*+,;=%]+$|^s3://[-a-z0-9.]+/[-A-Za-z0-9._~:/?#@!$&*+,;=%]+$"
    },
    "RebootOption": {
      "type": "String",
      "default": "RebootIfNeeded",
      "description": "(Optional) RebootIfNeeded reboots after an Install that installed anything, or when patches are pending a reboot; NoReboot leaves that to you and reports them as installed pending reboot.",
      "allowedValues": ["RebootIfNeeded", "NoReboot"]
    },
    "BaselineOverride": {
      "type": "String",
      "default": "",
      "description": "(Optional) An https:// or s3:// URL of a JSON patch baseline to use instead of the node's.",
      "allowedPattern": "^$|^https://[-A-Za-z0-9._~:/?#@!$&*+,;=%]+$|^s3://[-a-z0-9.]+/[-A-Za-z0-9._~:/?#@!$&*+,;=%]+$"
    }
  },
  "mainSteps": [
    {
      "precondition": { "StringEquals": ["platformType", "Windows"] },
      "action": "aws:runPowerShellScript",
      "name": "PatchWindows",
      "timeoutSeconds": 7200,
      "inputs": {
        "runCommand": [
          "& capstan agent patch-baseline --operation '{{ Operation }}' --snapshot-id '{{ SnapshotId }}' --install-override-list '{{ InstallOverrideList }}' --baseline-override '{{ BaselineOverride }}' --reboot-option '{{ RebootOption }}' --association-id '{{ AssociationId }}'",
          "exit $LASTEXITCODE"
        ]
      }
    },
    {
      "precondition": { "StringEquals": ["platformType", "Linux"] },
      "action": "aws:runShellScript",
      "name": "PatchLinux",
      "timeoutSeconds": 7200,
      "inputs": {
        "runCommand": [
          "#!/bin/sh",
          "exec capstan agent patch-baseline --operation '{{ Operation }}' --snapshot-id '{{ SnapshotId }}' --install-override-list '{{ InstallOverrideList }}' --baseline-override '{{ BaselineOverride }}' --reboot-option '{{ RebootOption }}' --association-id '{{ AssociationId }}'"
        ]
      }
    },
    {
      "precondition": { "StringEquals": ["platformType", "MacOS"] },
      "action": "aws:runShellScript",
      "name": "PatchMacOS",
      "timeoutSeconds": 7200,
      "inputs": {
        "runCommand": [
          "#!/bin/sh",
          "exec capstan agent patch-baseline --operation '{{ Operation }}' --snapshot-id '{{ SnapshotId }}' --install-override-list '{{ InstallOverrideList }}' --baseline-override '{{ BaselineOverride }}' --reboot-option '{{ RebootOption }}' --association-id '{{ AssociationId }}'"
        ]
      }
    }
  ]
}
`;
