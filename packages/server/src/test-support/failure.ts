import assert from 'node:assert/strict';

/** The error a call fails with, or a test failure when it succeeds. */
export async function failure(p: Promise<unknown>): Promise<Error & { $metadata: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { $metadata: { httpStatusCode?: number } };
  }
  assert.fail('the call succeeded');
}
