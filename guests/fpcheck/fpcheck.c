/*
 * fpcheck: a user-space workload for the reference Debian guest that computes with SSE2
 * (scalar and packed doubles, packed singles, conversions, packed integers) and with the
 * x87's long double (64-bit significand), and prints one token: a 64-bit hash of every
 * intermediate result's bits, the long-double sum, and a 64-bit integer. Only operations
 * IEEE 754 rounds exactly (+ - * / sqrt, conversions) are used, so any correct processor
 * gives the same token: scripts/debian-guest.sh runs the same static binary on the build
 * host and DebianGuestTest compares the guest's token with the host's.
 *
 * Built with: gcc -m32 -static -O2 -msse2 -mssse3 -mfpmath=sse -ffp-contract=off -fno-math-errno
 */
#include <emmintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t hash = 1469598103934665603ULL;

static void mix(uint64_t v) {
    hash ^= v;
    hash *= 1099511628211ULL;
    hash ^= hash >> 29;
}

static void mixDouble(double d) {
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    mix(v);
}

static void mix128(__m128i v) {
    uint64_t w[2];
    _mm_storeu_si128((__m128i *) w, v);
    mix(w[0]);
    mix(w[1]);
}

int main(void) {
    /* 1. scalar doubles (SSE2 with -mfpmath=sse): a sum of reciprocals and square roots */
    double s = 0;
    for (int i = 1; i <= 60000; i++) {
        double x = (double) i;
        s += 1.0 / (x * x + 0.5) + __builtin_sqrt(x) * 1e-9;
        if ((i & 1023) == 0) {
            mixDouble(s);
        }
    }
    mixDouble(s);

    /* 2. packed doubles: a Newton iteration for 1/sqrt, two lanes at once */
    __m128d acc = _mm_setzero_pd();
    __m128d v = _mm_set_pd(3.0, 2.0);
    const __m128d half = _mm_set1_pd(0.5), three = _mm_set1_pd(3.0), step = _mm_set1_pd(0.75);
    for (int i = 0; i < 30000; i++) {
        __m128d y = _mm_div_pd(_mm_set1_pd(1.0), _mm_sqrt_pd(v));
        y = _mm_mul_pd(_mm_mul_pd(half, y), _mm_sub_pd(three, _mm_mul_pd(v, _mm_mul_pd(y, y))));
        acc = _mm_add_pd(acc, y);
        v = _mm_add_pd(v, step);
    }
    double lanes[2];
    _mm_storeu_pd(lanes, acc);
    mixDouble(lanes[0]);
    mixDouble(lanes[1]);

    /* 3. packed singles and conversions: a logistic map in four lanes, rounded to integers */
    __m128 p = _mm_set_ps(0.1f, 0.2f, 0.3f, 0.4f);
    const __m128 r = _mm_set1_ps(3.7f), one = _mm_set1_ps(1.0f), scale = _mm_set1_ps(1e6f);
    __m128i isum = _mm_setzero_si128();
    for (int i = 0; i < 40000; i++) {
        p = _mm_mul_ps(_mm_mul_ps(r, p), _mm_sub_ps(one, p));
        isum = _mm_add_epi32(isum, _mm_cvtps_epi32(_mm_mul_ps(p, scale)));
        if ((i & 255) == 0) {
            __m128d wide = _mm_cvtps_pd(p);
            isum = _mm_xor_si128(isum, _mm_cvttpd_epi32(_mm_mul_pd(wide, _mm_set1_pd(1e9))));
        }
    }
    mix128(isum);

    /* 4. packed integers: multiply-add, sums of absolute differences, shuffles, unpacks */
    __m128i a = _mm_set_epi32(0x01234567, 0x89abcdef, 0x13579bdf, 0x2468ace0);
    __m128i b = _mm_set_epi32(0x0f1e2d3c, 0x4b5a6978, 0x8796a5b4, 0xc3d2e1f0);
    __m128i t = _mm_setzero_si128();
    for (int i = 0; i < 40000; i++) {
        __m128i m = _mm_madd_epi16(a, b);
        __m128i d = _mm_sad_epu8(a, b);
        t = _mm_add_epi64(t, _mm_add_epi64(d, _mm_unpacklo_epi32(m, m)));
        a = _mm_shuffle_epi32(_mm_add_epi16(a, _mm_srli_epi16(b, 3)), 0x39);
        b = _mm_xor_si128(_mm_unpackhi_epi8(b, a), _mm_slli_epi64(t, 7));
    }
    mix128(t);

    /* 5. long double (x87, 64-bit significand): the Basel sum and square roots, which double
     * precision would round differently */
    long double ld = 0;
    for (int k = 100000; k >= 1; k--) {
        long double kk = k;
        ld += 1.0L / (kk * kk);
    }
    long double roots = 0;
    for (int k = 1; k <= 20000; k++) {
        roots += __builtin_sqrtl((long double) k) / 3.0L;
    }
    uint64_t ldBits[2] = {0, 0};
    memcpy(ldBits, &roots, 10);
    mix(ldBits[0]);
    mix(ldBits[1] & 0xffff);

    printf("%016llx:%.21Lg:%lld\n", (unsigned long long) hash, ld, (long long) (roots * 1e6L));
    return 0;
}
