// Written for Capstan; parameter names, types, defaults and rules are AWS's. Each step is
// `aws:runPatchBaseline`: the server puts the node's baseline snapshot (its patch group's, its
// operating system's default, or the BaselineOverride given here) in the node's job, and the
// agent's plugin scans or installs against it and reports what it found.
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
      "description": "(Optional) A patch baseline to use instead of the node's: inline JSON, one baseline object as CreatePatchBaseline takes it (with OperatingSystem) or a list of them, one per operating system; or the s3:// URL of such a JSON file in the server's S3-compatible store, read when the command is sent.",
      "allowedPattern": "^$|^\\s*[\\[{][\\s\\S]*$|^s3://[-a-z0-9.]+/[-A-Za-z0-9._~:/?#@!$&*+,;=%]+$|^https?://[-A-Za-z0-9._~:/?#@!$&*+,;=%]+$"
    }
  },
  "mainSteps": [
    {
      "precondition": { "StringEquals": ["platformType", "Windows"] },
      "action": "aws:runPatchBaseline",
      "name": "PatchWindows",
      "timeoutSeconds": 7200,
      "inputs": { "Operation": "{{ Operation }}", "SnapshotId": "{{ SnapshotId }}", "InstallOverrideList": "{{ InstallOverrideList }}", "BaselineOverride": "{{ BaselineOverride }}", "RebootOption": "{{ RebootOption }}", "AssociationId": "{{ AssociationId }}" }
    },
    {
      "precondition": { "StringEquals": ["platformType", "Linux"] },
      "action": "aws:runPatchBaseline",
      "name": "PatchLinux",
      "timeoutSeconds": 7200,
      "inputs": { "Operation": "{{ Operation }}", "SnapshotId": "{{ SnapshotId }}", "InstallOverrideList": "{{ InstallOverrideList }}", "BaselineOverride": "{{ BaselineOverride }}", "RebootOption": "{{ RebootOption }}", "AssociationId": "{{ AssociationId }}" }
    },
    {
      "precondition": { "StringEquals": ["platformType", "MacOS"] },
      "action": "aws:runPatchBaseline",
      "name": "PatchMacOS",
      "timeoutSeconds": 7200,
      "inputs": { "Operation": "{{ Operation }}", "SnapshotId": "{{ SnapshotId }}", "InstallOverrideList": "{{ InstallOverrideList }}", "BaselineOverride": "{{ BaselineOverride }}", "RebootOption": "{{ RebootOption }}", "AssociationId": "{{ AssociationId }}" }
    }
  ]
}
`;
