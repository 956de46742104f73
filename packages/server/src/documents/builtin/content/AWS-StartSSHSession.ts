// Written for Capstan; parameter names, types, defaults and rules are AWS's. Without
// LocalPortForwarding the client pipes its own stdin and stdout, as an SSH ProxyCommand needs.
export default String.raw`{
  "schemaVersion": "1.0",
  "description": "Connect to the node's SSH server through a session, for use as an SSH ProxyCommand.",
  "sessionType": "Port",
  "parameters": {
    "portNumber": {
      "type": "String",
      "default": "22",
      "description": "(Optional) The port the node's SSH server listens on.",
      "allowedPattern": "^([1-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$"
    }
  },
  "properties": {
    "portNumber": "{{ portNumber }}"
  }
}
`;
