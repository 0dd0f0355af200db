import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../encryption/data-converter';

/** Bundles the workflow code once at build time so a production worker starts without webpack.
 * Runs compiled (dist/scripts/), so the bundle lands beside dist/worker/ as dist/workflow-bundle.js. */
async function main(): Promise<void> {
  const out = path.resolve(__dirname, '../workflow-bundle.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    // The worker's failure converter runs inside the bundle: failure text is encoded (and encrypted).
    failureConverterPath: FAILURE_CONVERTER_PATH,
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
