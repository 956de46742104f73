// Capstan's own: `capstan cp` copies files to and from the node in this session, each file as
// the session's run-as user would read or write it.
export default String.raw`{
  "schemaVersion": "1.0",
  "description": "Copy files to and from the node (capstan cp), as the session's run-as user.",
  "sessionType": "CapstanFileCopy"
}
`;
