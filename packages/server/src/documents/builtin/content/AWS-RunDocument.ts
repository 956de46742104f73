// Written for Capstan; parameter names, types, defaults and rules are AWS's. The download step
// writes to the command's download directory, and an empty LocalPath runs what it fetched.
export default String.raw`{
  "schemaVersion": "2.2",
  "description": "Fetch an SSM document from GitHub, an HTTPS/S3 location or this account's documents, and run it with the given parameters.",
  "parameters": {
    "sourceType": {
      "type": "String",
      "description": "(Required) Where the document to run is kept.",
      "allowedValues": ["GitHub", "S3", "SSMDocument"]
    },
    "sourceInfo": {
      "type": "StringMap",
      "description": "(Required) Where exactly, as a JSON object: {\"owner\", \"repository\", \"path\", \"getOptions\", \"tokenInfo\"} for GitHub, {\"path\"} for S3, {\"name\"} (optionally \"name:version\") for SSMDocument.",
      "displayType": "textarea"
    },
    "documentParameters": {
      "type": "StringMap",
      "default": {},
      "description": "(Optional) The parameters of the fetched document, as a JSON object of name to value.",
      "displayType": "textarea"
    }
  },
  "mainSteps": [
    {
      "action": "aws:downloadContent",
      "name": "downloadContent",
      "inputs": {
        "sourceType": "{{ sourceType }}",
        "sourceInfo": "{{ sourceInfo }}"
      }
    },
    {
      "action": "aws:runDocument",
      "name": "runDocument",
      "inputs": {
        "documentType": "LocalPath",
        "documentPath": "",
        "documentParameters": "{{ documentParameters }}"
      }
    }
  ]
}
`;
