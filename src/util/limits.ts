/** Limits shared by every command, so the same flag means the same range everywhere. */

/**
 * Rows per inference call. Beyond this a batch is gigabytes of tensors for
 * no speed-up (predict-batch measured none past a few thousand rows).
 */
export const MAX_BATCH_SIZE = 1_000_000;
