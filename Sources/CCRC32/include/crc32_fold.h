#ifndef FEDATTR_CRC32_FOLD_H
#define FEDATTR_CRC32_FOLD_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has carry-less multiplication (PCLMULQDQ) and SSE4.1, which fedattr_crc32_fold needs.
int fedattr_crc32_fold_available(void);

/// Folds `length` bytes (a multiple of 16, at least 64) into the CRC-32 (IEEE, reflected 0xEDB88320) register `state`
/// (the inverted CRC, as the table-driven update keeps it) with carry-less multiplication; returns the new register.
uint32_t fedattr_crc32_fold(uint32_t state, const uint8_t *bytes, size_t length);

#endif
