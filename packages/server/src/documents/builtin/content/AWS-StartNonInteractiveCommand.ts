// Written for Capstan; parameter names, types, defaults and rules are AWS's.
export default String.raw`{
  "schemaVersion": "1.0",
  "description": "Start a session that runs one command without a terminal and streams its output until it exits.",
  "sessionType": "NonInteractiveCommands",
  "parameters": {
    "command": {
      "type": "String",
      "description": "(Required) The command to run."
    }
  },
  "properties": {
    "windows": {
      "commands": "{{ command }}",
      "runAsElevated": false
    },
    "linux": {
      "commands": "{{ command }}",
      "runAsElevated": false
    },
    "macos": {
      "commands": "{{ command }}",
      "runAsElevated": false
    }
  }
}
`;
