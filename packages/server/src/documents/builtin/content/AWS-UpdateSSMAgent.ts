// Written for Capstan; parameter names, types, defaults and rules are AWS's. Releases are the
// versions of the Capstan-Agent package, fetched from the server the node is registered with, so
// there is no download source here.
export default String.raw`{
  "schemaVersion": "1.2",
  "description": "Update the node's agent to the latest release, or to a version you name.",
  "parameters": {
    "version": {
      "type": "String",
      "default": "",
      "description": "(Optional) The agent version to install, a version of the Capstan-Agent package. Empty installs its default version.",
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
