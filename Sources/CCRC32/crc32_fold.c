// CRC-32 by folding 128-bit blocks with carry-less multiplication (Gopal et al., "Fast CRC Computation for Generic
// Polynomials Using PCLMULQDQ Instruction", Intel, 2009), for the reflected IEEE polynomial. Four lanes of 16 bytes
// are folded 64 bytes ahead, then into one lane, then reduced to 32 bits with Barrett reduction.
#include "crc32_fold.h"

#if defined(__x86_64__)
#include <immintrin.h>

// x^(4·128+32) mod P, x^(4·128−32) mod P (fold by 64 bytes); x^(128+32), x^(128−32) (fold by 16 bytes); x^64 (128 → 64
// bits); P' and μ' for the Barrett step. All bit-reflected, as the reflected CRC needs.
static const uint64_t fold64[2] __attribute__((aligned(16))) = {0x0154442bd4ULL, 0x01c6e41596ULL};
static const uint64_t fold16[2] __attribute__((aligned(16))) = {0x01751997d0ULL, 0x00ccaa009eULL};
static const uint64_t fold8[2] __attribute__((aligned(16))) = {0x0163cd6124ULL, 0};
static const uint64_t barrett[2] __attribute__((aligned(16))) = {0x01db710641ULL, 0x01f7011641ULL};

int fedattr_crc32_fold_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
}

__attribute__((target("pclmul,sse4.1")))
static inline __m128i fold(__m128i lane, __m128i k, __m128i next) {
    __m128i low = _mm_clmulepi64_si128(lane, k, 0x00);
    __m128i high = _mm_clmulepi64_si128(lane, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(low, high), next);
}

__attribute__((target("pclmul,sse4.1")))
uint32_t fedattr_crc32_fold(uint32_t state, const uint8_t *bytes, size_t length) {
    __m128i a = _mm_loadu_si128((const __m128i *)(bytes + 0));
    __m128i b = _mm_loadu_si128((const __m128i *)(bytes + 16));
    __m128i c = _mm_loadu_si128((const __m128i *)(bytes + 32));
    __m128i d = _mm_loadu_si128((const __m128i *)(bytes + 48));
    a = _mm_xor_si128(a, _mm_cvtsi32_si128((int)state));
    bytes += 64;
    length -= 64;

    __m128i k = _mm_load_si128((const __m128i *)fold64);
    while (length >= 64) {
        a = fold(a, k, _mm_loadu_si128((const __m128i *)(bytes + 0)));
        b = fold(b, k, _mm_loadu_si128((const __m128i *)(bytes + 16)));
        c = fold(c, k, _mm_loadu_si128((const __m128i *)(bytes + 32)));
        d = fold(d, k, _mm_loadu_si128((const __m128i *)(bytes + 48)));
        bytes += 64;
        length -= 64;
    }

    k = _mm_load_si128((const __m128i *)fold16);
    a = fold(a, k, b);
    a = fold(a, k, c);
    a = fold(a, k, d);
    while (length >= 16) {
        a = fold(a, k, _mm_loadu_si128((const __m128i *)bytes));
        bytes += 16;
        length -= 16;
    }

    // 128 → 64 bits: the low half times x^(128−32) mod P, added to the high half.
    const __m128i low32 = _mm_setr_epi32(-1, 0, -1, 0);
    __m128i t = _mm_clmulepi64_si128(a, k, 0x10);
    a = _mm_xor_si128(_mm_srli_si128(a, 8), t);
    // 64 → 32 bits.
    k = _mm_loadl_epi64((const __m128i *)fold8);
    t = _mm_srli_si128(a, 4);
    a = _mm_clmulepi64_si128(_mm_and_si128(a, low32), k, 0x00);
    a = _mm_xor_si128(a, t);
    // Barrett reduction to the 32-bit remainder.
    k = _mm_load_si128((const __m128i *)barrett);
    t = _mm_clmulepi64_si128(_mm_and_si128(a, low32), k, 0x10);
    t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), k, 0x00);
    a = _mm_xor_si128(a, t);
    return (uint32_t)_mm_extract_epi32(a, 1);
}

#else

int fedattr_crc32_fold_available(void) { return 0; }

uint32_t fedattr_crc32_fold(uint32_t state, const uint8_t *bytes, size_t length) {
    (void)bytes;
    (void)length;
    return state;  // never called: fedattr_crc32_fold_available() is 0
}

#endif
