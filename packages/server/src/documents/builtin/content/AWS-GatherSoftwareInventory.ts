// Written for Capstan; parameter names, types, defaults and rules are AWS's.
export default String.raw`{
  "schemaVersion": "2.0",
  "description": "Collect a node's software and configuration inventory. Runs only from a State Manager association.",
  "parameters": {
    "applications": {
      "type": "String",
      "default": "Enabled",
      "description": "(Optional) Collect installed applications and packages.",
      "allowedValues": [
        "Enabled",
        "Disabled"
      ]
    },
    "awsComponents": {
      "type": "String",
      "default": "Enabled",
      "description": "(Optional) Collect agent components such as the node's agent itself.",
      "allowedValues": [
        "Enabled",
        "Disabled"
      ]
    },
    "files": {
      "type": "String",
      "default": "",
      "description": "(Optional) Files to collect metadata of, as a JSON list of {\"Path\", \"Pattern\", \"Recursive\", \"DirScanLimit\"} filters. Empty collects none.",
      "displayType": "textarea"
    },
    "networkConfig": {
      "type": "String",
      "default": "Enabled",
      "description": "(Optional) Collect network interfaces and their configuration.",
      "allowedValues": [
        "Enabled",
        "Disabled"
      ]
    },
    "windowsUpdates": {
      "type": "String",
      "default": "Enabled",
      "description": "(Optional) Collect installed Windows updates (Windows only).",
      "allowedValues": [
        "Enabled",
        "Disabled"
      ]
    },
    "instanceDetailedInformation": {
      "type": "String",
      "default": "Enabled",
      "description": "(Optional) Collect processor model, speed, core count and kernel details.",
      "allowedValues": [
        "Enabled",
        "Disabled"
      ]
    },
    "services": {
      "type": "String",
      "default": "Enabled",
      "description": "(Optional) Collect services (Windows only).",
      "allowedValues": [
        "Enabled",
        "Disabled"
      ]
    },
    "windowsRegistry": {
      "type": "String",
      "default": "",
      "description": "(Optional) Registry keys and values to collect, as a JSON list of {\"Path\", \"Recursive\", \"ValueNames\"} filters (Windows only). Empty collects none.",
      "displayType": "textarea"
    },
    "windowsRoles": {
      "type": "String",
      "default": "Enabled",
      "description": "(Optional) Collect Windows roles and features (Windows only).",
      "allowedValues": [
        "Enabled",
        "Disabled"
      ]
    },
    "customInventory": {
      "type": "String",
      "default": "Enabled",
      "description": "(Optional) Collect custom inventory files from the node's custom inventory directory.",
      "allowedValues": [
        "Enabled",
        "Disabled"
      ]
    },
    "billingInfo": {
      "type": "String",
      "default": "Enabled",
      "description": "(Optional) Collect the platform's billing information where the node has one.",
      "allowedValues": [
        "Enabled",
        "Disabled"
      ]
    }
  },
  "mainSteps": [
    {
      "action": "aws:softwareInventory",
      "name": "collectSoftwareInventoryItems",
      "inputs": {
        "applications": "{{ applications }}",
        "awsComponents": "{{ awsComponents }}",
        "files": "{{ files }}",
        "networkConfig": "{{ networkConfig }}",
        "windowsUpdates": "{{ windowsUpdates }}",
        "instanceDetailedInformation": "{{ instanceDetailedInformation }}",
        "services": "{{ services }}",
        "windowsRegistry": "{{ windowsRegistry }}",
        "windowsRoles": "{{ windowsRoles }}",
        "customInventory": "{{ customInventory }}",
        "billingInfo": "{{ billingInfo }}"
      }
    }
  ]
}
`;
