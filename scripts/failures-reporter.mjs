// A node:test reporter that stays silent until the run ends, then lists every failed test with its
// file and error. The TAP stream is long; CI shows only its tail, which is where this lands.
export default async function* failuresReporter(source) {
  const failures = [];
  for await (const event of source) {
    if (event.type !== 'test:fail') continue;
    const { name, file, details, todo } = event.data;
    // A failing todo test does not fail the run; listing it would send readers after nothing.
    if (todo) continue;
    const error = details?.error;
    // A suite fails because a subtest did; the subtest is the one worth reading.
    if (error?.failureType === 'subtestsFailed') continue;
    const cause = error?.cause ?? error;
    const message = cause?.stack ?? cause?.message ?? String(cause);
    failures.push(`✖ ${name}\n  ${file ?? ''}\n  ${String(message).split('\n').slice(0, 12).join('\n  ')}`);
  }
  if (failures.length === 0) return;
  yield `\n# ${failures.length} failed:\n${failures.join('\n\n')}\n`;
}
