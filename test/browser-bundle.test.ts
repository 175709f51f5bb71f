// The main entry is browser-safe: esbuild bundles it for the browser (platform 'browser', no
// externals, no stubs) without reaching any Node module, and the kernel worker script too. The
// Node entry, bundled the same way, does reach Node modules: the check can fail.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { projectRoot } from './shared.js';

const NODE_MODULES = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Bundles entry for the browser; returns the Node modules it reached (with their importers), the inputs and the errors. */
async function bundleForBrowser(entry: string): Promise<{ reached: string[]; inputs: string[]; errors: string[] }> {
  const reached: string[] = [];
  const result = await esbuild.build({
    entryPoints: [join(projectRoot, entry)],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [{
      name: 'report-node-modules',
      setup(build) {
        build.onResolve({ filter: /.*/ }, (args) => {
          if (NODE_MODULES.has(args.path) || args.path.startsWith('node:')) reached.push(`${args.path} (from ${args.importer.slice(projectRoot.length + 1)})`);
          return undefined; // resolve as esbuild would
        });
      },
    }],
  }).catch((e: esbuild.BuildFailure) => e);
  const errors = 'errors' in result ? result.errors.map((e) => e.text) : [];
  const inputs = 'metafile' in result && result.metafile ? Object.keys(result.metafile.inputs) : [];
  return { reached, inputs, errors };
}

test('the main entry bundles for the browser without reaching a Node module', async () => {
  const { reached, inputs, errors } = await bundleForBrowser('dist/src/index.js');
  assert.deepEqual(reached, [], `Node modules reached from the main entry:\n${reached.join('\n')}`);
  assert.deepEqual(errors, []);
  assert.ok(inputs.some((f) => f.endsWith('backend/wasm/host-browser.js')), 'the wasm backend takes the browser host');
  assert.ok(!inputs.some((f) => f.endsWith('backend/wasm/host-node.js')), 'the Node host is not bundled');
  assert.ok(inputs.some((f) => f.endsWith('models/load.js')) && inputs.some((f) => f.endsWith('tokenizer/index.js')));
});

test('the kernel worker script bundles for the browser without reaching a Node module', async () => {
  const { reached, errors } = await bundleForBrowser('dist/src/backend/wasm/worker.js');
  assert.deepEqual(reached, []);
  assert.deepEqual(errors, []);
});

test('the Node entry, bundled the same way, does reach Node modules (the check above can fail)', async () => {
  const { reached, errors } = await bundleForBrowser('dist/src/node.js');
  assert.ok(reached.some((r) => r.startsWith('node:fs')), reached.join('\n'));
  assert.ok(errors.length > 0, 'esbuild refuses node:fs for the browser');
});
