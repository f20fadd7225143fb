import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';

// The sample's web chat has no build step, so it serves a copy of this package's module.
test('the web chat serves the current client module (copy it with: npm run copy-to-sample)', async () => {
  const src = await readFile(new URL('../../index.js', import.meta.url), 'utf8');
  const copy = await readFile(new URL('../../../../samples/ChatKit.Samples.Server/wwwroot/lib/chatkit-client.js', import.meta.url), 'utf8');
  assert.ok(copy === src, 'samples/ChatKit.Samples.Server/wwwroot/lib/chatkit-client.js differs from clients/js/index.js');
});
