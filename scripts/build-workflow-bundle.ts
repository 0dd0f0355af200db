import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

/** Bundles the workflow code once at build time so a production worker starts without webpack.
 * Runs compiled (dist/scripts/), so the bundle lands beside dist/worker/ as dist/workflow-bundle.js. */
async function main(): Promise<void> {
  const out = path.resolve(__dirname, '../workflow-bundle.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: new DefaultLogger('WARN'), // webpack's module listing is noise here
  });
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, code);
  console.log(`workflow bundle written to ${path.relative(process.cwd(), out)} (${(code.length / 1024).toFixed(0)} KiB)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
