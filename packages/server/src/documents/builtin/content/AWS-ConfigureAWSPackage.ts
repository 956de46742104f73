// Written for Capstan; parameter names, types, defaults and rules are AWS's.
export default String.raw`{
  "schemaVersion": "2.2",
  "description": "Install or uninstall a Distributor package on a node: a version you name, or the package's default version.",
  "parameters": {
    "action": {
      "type": "String",
      "description": "(Required) Whether to install or uninstall the package.",
      "allowedValues": ["Install", "Uninstall"]
    },
    "installationType": {
      "type": "String",
      "default": "Uninstall and reinstall",
      "description": "(Optional) For Install: 'Uninstall and reinstall' removes the installed version first (and restores it if the new one fails); 'In-place update' runs the new version's update script over the installed files.",
      "allowedValues": ["Uninstall and reinstall", "In-place update"]
    },
    "name": {
      "type": "String",
      "description": "(Required) The package: its name, or the ARN of a package shared with this account.",
      "allowedPattern": "^arn:[a-z0-9][-.a-z0-9]{0,62}:[a-z0-9][-.a-z0-9]{0,62}:([a-z0-9][-.a-z0-9]{0,62})?:([0-9]{12})?:(package|document)/[a-zA-Z0-9/:._-]{3,128}$|^[a-zA-Z0-9/:._-]{3,128}$"
    },
    "version": {
      "type": "String",
      "default": "",
      "description": "(Optional) The package version to install or uninstall. Empty installs the default version, or uninstalls the installed one.",
      "allowedPattern": "^$|^[a-zA-Z0-9_.-]{1,128}$"
    },
    "additionalArguments": {
      "type": "StringMap",
      "default": {},
      "description": "(Optional) Extra values for the package's install, update and uninstall scripts, as a JSON object; each becomes an environment variable of the scripts.",
      "displayType": "textarea",
      "maxChars": 4096
    }
  },
  "mainSteps": [
    {
      "action": "aws:configurePackage",
      "name": "configurePackage",
      "inputs": {
        "name": "{{ name }}",
        "action": "{{ action }}",
        "installationType": "{{ installationType }}",
        "version": "{{ version }}",
        "additionalArguments": "{{ additionalArguments }}"
      }
    }
  ]
}
`;
