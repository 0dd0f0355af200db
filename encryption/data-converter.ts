import type { DataConverter } from '@temporalio/common';
import { LeadPayloadCodec, type LeadPayloadCodecOptions } from './lead-payload-codec';
import type { KeyStore } from './key-store';

/** Path of the failure converter module, for `bundleWorkflowCode` and every data converter. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/**
 * The one data converter of every Leadflow client and worker (API, worker, npm start, scripts, bench,
 * tests): payloads encrypted per lead, failure text encoded with them.
 */
export function leadflowDataConverter(keys: KeyStore, options: LeadPayloadCodecOptions = {}): DataConverter {
  return { payloadCodecs: [new LeadPayloadCodec(keys, options)], failureConverterPath: FAILURE_CONVERTER_PATH };
}
