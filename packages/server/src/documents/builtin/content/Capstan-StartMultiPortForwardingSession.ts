// Capstan's own: several destinations in one port-forwarding session (capstan session
// port-forward --forward L:P --forward L:HOST:P); each connection names its destination, which
// must be one of these. The node resolves each host and refuses link-local and metadata addresses.
export default String.raw`{
  "schemaVersion": "1.0",
  "description": "Forward several local ports on your computer, each to a port on the node or on a host the node can reach.",
  "sessionType": "Port",
  "parameters": {
    "destinations": {
      "type": "StringList",
      "description": "(Required) Where connections may go: PORT (on the node) or HOST:PORT, one item each.",
      "minItems": 1,
      "maxItems": 64,
      "allowedPattern": "^(?:(?:[A-Za-z0-9._-]{1,253}|\\[[0-9A-Fa-f:.]{2,45}\\]):)?([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$"
    }
  },
  "properties": {
    "type": "LocalPortForwarding",
    "destinations": "{{ destinations }}"
  }
}
`;
