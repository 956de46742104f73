// Written for Capstan; the inputs and their defaults are AWS's. This is the document sessions
// use when none is named, and the one an account edits to set its session preferences.
export default String.raw`{
  "schemaVersion": "1.0",
  "description": "Session preferences, and the default shell session: logging, run-as user, timeouts and shell profile.",
  "sessionType": "Standard_Stream",
  "inputs": {
    "s3BucketName": "",
    "s3KeyPrefix": "",
    "s3EncryptionEnabled": true,
    "cloudWatchLogGroupName": "",
    "cloudWatchEncryptionEnabled": true,
    "cloudWatchStreamingEnabled": false,
    "kmsKeyId": "",
    "runAsEnabled": false,
    "runAsDefaultUser": "",
    "idleSessionTimeout": "20",
    "maxSessionDuration": "",
    "shellProfile": {
      "windows": "",
      "linux": ""
    }
  }
}
`;
