// Written for Capstan; parameter names, types, defaults and rules are AWS's. The node resolves
// the host and refuses link-local and metadata addresses.
export default String.raw`{
  "schemaVersion": "1.0",
  "description": "Forward a local port on your computer, through the node, to a port on a host the node can reach.",
  "sessionType": "Port",
  "parameters": {
    "host": {
      "type": "String",
      "description": "(Required) The host name or IP address of the destination, as the node resolves it.",
      "allowedPattern": "^[A-Za-z0-9._:-]{1,253}$"
    },
    "portNumber": {
      "type": "String",
      "default": "80",
      "description": "(Optional) The port on the destination host to forward to.",
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
    "host": "{{ host }}",
    "localPortNumber": "{{ localPortNumber }}"
  }
}
`;
