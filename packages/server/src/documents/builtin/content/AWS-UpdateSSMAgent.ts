// Written for Capstan; parameter names, types, defaults and rules are AWS's. The agent fetches
// releases from the control plane it is registered with, so there is no download source here.
export default String.raw`{
  "schemaVersion": "1.2",
  "description": "Update the node's agent to the latest release, or to a version you name.",
  "parameters": {
    "version": {
      "type": "String",
      "default": "",
      "description": "(Optional) The agent version to install. Empty installs the latest release.",
      "allowedPattern": "^$|^[0-9]+(\\.[0-9]+){1,3}$"
    },
    "allowDowngrade": {
      "type": "String",
      "default": "false",
      "description": "(Optional) Whether version may be older than the installed agent.",
      "allowedValues": ["true", "false"]
    }
  },
  "runtimeConfig": {
    "aws:updateSsmAgent": {
      "properties": [
        {
          "agentName": "capstan-agent",
          "allowDowngrade": "{{ allowDowngrade }}",
          "targetVersion": "{{ version }}"
        }
      ]
    }
  }
}
`;
