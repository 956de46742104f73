// Written for Capstan; parameter names, types, defaults and rules are AWS's.
export default String.raw`{
  "schemaVersion": "1.2",
  "description": "Run a shell script, or a list of commands, on Linux and macOS nodes.",
  "parameters": {
    "commands": {
      "type": "StringList",
      "description": "(Required) The commands to run, one per line; together they form the script.",
      "minItems": 1,
      "displayType": "textarea"
    },
    "workingDirectory": {
      "type": "String",
      "default": "",
      "description": "(Optional) The directory to run the commands in. Empty means the agent's default directory.",
      "maxChars": 4096
    },
    "executionTimeout": {
      "type": "String",
      "default": "3600",
      "description": "(Optional) Seconds the commands may run before they are stopped and the command fails. Default 3600 (one hour); at most 172800 (48 hours).",
      "allowedPattern": "^([1-9][0-9]{0,4}|1[0-6][0-9]{4}|17[01][0-9]{3}|172[0-7][0-9]{2}|172800)$"
    }
  },
  "runtimeConfig": {
    "aws:runShellScript": {
      "properties": [
        {
          "id": "0.aws:runShellScript",
          "runCommand": "{{ commands }}",
          "workingDirectory": "{{ workingDirectory }}",
          "timeoutSeconds": "{{ executionTimeout }}"
        }
      ]
    }
  }
}
`;
