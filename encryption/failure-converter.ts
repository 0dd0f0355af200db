import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces go into an encoded payload, so the codec encrypts them like any
 * other payload: an error that quotes a field (a validation message, a database error) cannot put a
 * person's data into a history in clear. Loaded by path (`failureConverterPath`): the worker's workflow
 * bundle includes it, so this file may import only sandbox-safe packages.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
