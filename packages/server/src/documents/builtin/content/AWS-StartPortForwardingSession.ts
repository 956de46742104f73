// Written for Capstan; parameter names, types, defaults and rules are AWS's.
export default String.raw`{
  "schemaVersion": "1.0",
  "description": "Forward a local port on your computer to a port on the node.",
  "sessionType": "Port",
  "parameters": {
    "portNumber": {
      "type": "String",
      "default": "80",
      "description": "(Optional) The port on the node to forward to.",
      "allowedPattern": "^([1-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$"
    },
    "localPortNumber": {
      "type": "String",
      "default": "0",
      "description": "(Optional) The port on your computer to listen on; 0 picks a free one.",
      "allowedPattern": "^([0-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$"
    }
  },
  "properties": {
    "portNumber": "{{ portNumber }}",
    "type": "LocalPortForwarding",
    "localPortNumber": "{{ localPortNumber }}"
  }
}
`;
