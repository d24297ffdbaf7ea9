/*
 * simdfp.c - the SSE / SSE2 / SSE3 floating-point families of the SIMD
 * harness, and LDMXCSR / STMXCSR (README.md, "SIMD floating point").
 *
 * The lines have the 61 fields of the integer SIMD families.  What is new
 * is the operand values (IEEE single and double edge cases, see fp32 / fp64
 * below), the MXCSR values (rounding modes, DAZ, FTZ, cleared exception
 * masks, sticky status flags: mxcsr_gen) and the #XM fault (vector 0x13),
 * which an unmasked SIMD floating-point exception raises.  The generator
 * does not predict #XM: an FP test with some exception unmasked accepts
 * either outcome (EXPECT_ANY_XM); #UD and #GP are still predicted exactly.
 */
#include <stdio.h>
#include <stdlib.h>
#include "simd.h"

/* ------------------------------------------------------------ MXCSR */

/* 40 % the default 1F80; otherwise some of: a rounding mode, DAZ, FTZ,
   sticky status flags, cleared exception masks (never bit 17) */
uint32_t mxcsr_gen(void)
{
    if (chance(40))
        return MXCSR_DEFAULT;
    uint32_t m = MXCSR_DEFAULT;
    if (chance(60)) m |= rn(4) << 13;
    if (chance(20)) m |= 0x40;               /* DAZ */
    if (chance(20)) m |= 0x8000;             /* FTZ */
    if (chance(35)) m |= rnd() & 0x3f;       /* sticky flags */
    if (chance(50)) {                        /* unmask some exceptions */
        switch (rn(4)) {
        case 0:  m &= ~(0x80u << rn(6)); break;                 /* one */
        case 1:  m &= ~(0x80u << rn(5)); break;                 /* one, not PE */
        case 2:  m &= ~0x1f80u | (rnd() & 0x1f80u); break;      /* a random subset */
        default: m &= ~0x0f80u | (0x1000u | (rnd() & 0x0f80u)); break;  /* PE stays masked */
        }
    }
    return m;
}

/* ------------------------------------------------------------ values */

static uint32_t sgn32(void) { return chance(50) ? 0x80000000u : 0; }
static uint64_t sgn64(void) { return chance(50) ? 1ull << 63 : 0; }

/* a significand of b bits: zero, top bits only, all ones, low bits, random */
static uint64_t mant(int b)
{
    uint64_t m = b == 64 ? ~0ull : (1ull << b) - 1;
    switch (rn(8)) {
    case 0:  return 0;
    case 1:  return r64() & (m ^ (m >> 6));
    case 2:  return m;
    case 3:  return rn(16);
    case 4:  return (1ull << (b - 1)) | rn(4);
    case 5:  return (m >> rn(b)) ^ (rn(2) ? 0 : m);
    default: return r64() & m;
    }
}

/* "integer-ish" values: around the integer conversion limits, with halves
   and quarters (ties of the integer conversions) */
static double intish(void)
{
    static const double base[] = {0, 1, 2, 3, 5, 100, 8388608.0, 16777216.0, 2147483648.0,
                                  4294967296.0, 9007199254740992.0, 9223372036854775808.0,
                                  2147483647.0, 32768.0, 65536.0};
    static const double off[] = {0, 0.5, -0.5, 1, -1, 1.5, 2.5, 0.25, 0.75, -0.25, 0.125, -1.5};
    double v = base[rn(N(base))] + off[rn(N(off))];
    return chance(40) ? -v : v;
}

static const uint32_t f32_table[] = {
    0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00800000, 0x80800000,
    0x7f7fffff, 0xff7fffff, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000,
    0x7fc00001, 0x7fffffff, 0xffffffff, 0x7f800001, 0xff800001, 0x7fbfffff, 0x7fa00000, 0x00400000,
    0x3f000000, 0x40000000, 0x4f000000, 0xcf000000, 0x4effffff, 0x4b800000, 0x34000000, 0x33800000,
    0x00800001, 0x3f7fffff, 0x3f800001, 0x7f000000, 0x01000000, 0x00ffffff, 0x5f000000, 0xdf000000,
};

static const uint64_t f64_table[] = {
    0x0000000000000000ull, 0x8000000000000000ull, 0x0000000000000001ull, 0x8000000000000001ull,
    0x000fffffffffffffull, 0x800fffffffffffffull, 0x0010000000000000ull, 0x8010000000000000ull,
    0x7fefffffffffffffull, 0xffefffffffffffffull, 0x3ff0000000000000ull, 0xbff0000000000000ull,
    0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull, 0xfff8000000000000ull,
    0x7ff8000000000001ull, 0x7fffffffffffffffull, 0xffffffffffffffffull, 0x7ff0000000000001ull,
    0xfff0000000000001ull, 0x7ff7ffffffffffffull, 0x7ff4000000000000ull, 0x0008000000000000ull,
    0x3fe0000000000000ull, 0x4000000000000000ull, 0x41e0000000000000ull, 0xc1e0000000000000ull,
    0x41dfffffffffffffull, 0xc1e0000000100000ull, 0x41dfffffffe00000ull, 0x3ca0000000000000ull,
    0x0010000000000001ull, 0x3fefffffffffffffull, 0x3ff0000000000001ull, 0x47efffffe0000000ull,
    0x47efffff00000000ull, 0x36a0000000000000ull, 0x3810000000000000ull, 0x380fffffffffffffull,
    0x36a0000000000001ull, 0x47f0000000000000ull, 0xc7efffffe0000000ull, 0x369fffffffffffffull,
};

/* an edge-biased single */
uint32_t fp32(void)
{
    switch (rn(20)) {
    case 0: case 1: case 2: case 3:
        return f32_table[rn(N(f32_table))];
    case 4:                                  /* NaN: quiet or signalling, any payload */
        if (chance(50))
            return sgn32() | 0x7fc00000u | (uint32_t)(mant(22) & 0x3fffff);
        else {
            uint32_t p = (uint32_t)mant(22) & 0x3fffff;
            return sgn32() | 0x7f800000u | (p ? p : 1);
        }
    case 5: case 6: {                        /* denormal */
        uint32_t p = (uint32_t)mant(23);
        return sgn32() | (p ? p : 1);
    }
    case 7:  return sgn32() | (0xfc + rn(3)) << 23 | (uint32_t)mant(23);     /* huge */
    case 8:  return sgn32() | (1 + rn(4)) << 23 | (uint32_t)mant(23);        /* tiny normal */
    case 9: { float f = (float)intish(); uint32_t u; memcpy(&u, &f, 4); return u; }
    case 10: return rnd();
    default: return sgn32() | (117 + rn(21)) << 23 | (uint32_t)mant(23);
    }
}

/* an edge-biased double */
uint64_t fp64(void)
{
    switch (rn(20)) {
    case 0: case 1: case 2: case 3:
        return f64_table[rn(N(f64_table))];
    case 4:
        if (chance(50))
            return sgn64() | 0x7ff8000000000000ull | (mant(51) & 0x7ffffffffffffull);
        else {
            uint64_t p = mant(51) & 0x7ffffffffffffull;
            return sgn64() | 0x7ff0000000000000ull | (p ? p : 1);
        }
    case 5: case 6: {
        uint64_t p = mant(52);
        return sgn64() | (p ? p : 1);
    }
    case 7:  return sgn64() | (uint64_t)(0x7fc + rn(3)) << 52 | mant(52);
    case 8:  return sgn64() | (uint64_t)(1 + rn(4)) << 52 | mant(52);
    case 9: { double d = intish(); uint64_t u; memcpy(&u, &d, 8); return u; }
    case 10: return r64();
    case 11: {                               /* a single's range edge (CVTSD2SS) */
        static const int e[] = {0x380, 0x381, 0x36a, 0x369, 0x47e, 0x47f, 0x370, 0x36b};
        return sgn64() | (uint64_t)e[rn(N(e))] << 52 | mant(52);
    }
    default: return sgn64() | (uint64_t)(1013 + rn(21)) << 52 | mant(52);
    }
}

/*
 * A second operand related to a: equal, negated, a tie (half an ulp of a,
 * or a quarter, at a's exponent minus the significand width), a scaled by a
 * power of two, a neighbour, the same exponent (cancellation).
 * eb/mb: exponent and significand bits (8/23 or 11/52).
 */
static uint64_t related(uint64_t a, int eb, int mb)
{
    uint64_t sbit = 1ull << (eb + mb), mmask = (1ull << mb) - 1;
    int emax = (1 << eb) - 1;
    int e = (int)(a >> mb & emax);
    switch (rn(10)) {
    case 0:  return a;
    case 1:  return a ^ sbit;
    case 2: case 3: {                        /* half / quarter ulp: ties and sticky bits */
        int ne = e - (mb + 1) - (chance(70) ? 0 : rn(3));
        uint64_t m = chance(60) ? 0 : mant(mb) & mmask;
        uint64_t s = chance(50) ? sbit : 0;
        if (ne <= 0)
            return s | (m ? m : 1);
        return s | (uint64_t)ne << mb | m;
    }
    case 4: {
        int ne = e + (int)rn(61) - 30;
        if (ne < 1) ne = 1;
        if (ne > emax - 1) ne = emax - 1;
        return (a & ~((uint64_t)emax << mb)) | (uint64_t)ne << mb;
    }
    case 5:  return (a & ~mmask) | ((a + (chance(50) ? 1 : -1)) & mmask);
    case 6:  return (a & ~(mmask >> (mb / 2))) | (mant(mb) & (mmask >> (mb / 2)));
    case 7:  return (a & ~mmask) | (mant(mb) & mmask) | (chance(50) ? sbit : 0);
    default: return eb == 8 ? fp32() : fp64();
    }
}

/* an int32 for the integer-to-float conversions: edges, and values above
   2^24 / 2^53 whose low bits make rounding ties */
static uint32_t int32v(void)
{
    switch (rn(6)) {
    case 0: case 1: return edge(32);
    case 2: {
        uint32_t v = (1u << (24 + rn(7))) | (rnd() & ((1u << 24) - 1));
        if (chance(50)) v = (v & ~0xffu) | (chance(50) ? 0x80 : 0x40) | (chance(50) ? 0x100 : 0);
        return chance(50) ? -v : v;
    }
    case 3: {
        uint32_t v = (1u << rn(31)) + rn(3) - 1;
        return chance(50) ? -v : v;
    }
    default: return rnd();
    }
}

enum { T_F32, T_F64, T_I32, T_RAW };

/* one 128-bit value of lanes of type ty; rel: related to that value's lanes */
static void value128(int ty, uint64_t v[2], const uint64_t *rel)
{
    if (ty == T_RAW) {
        v[0] = packed(64, V_EDGE);
        v[1] = packed(64, V_EDGE);
        return;
    }
    int w = ty == T_F64 ? 64 : 32;
    uint64_t prev = 0;
    for (int k = 0; k < 128 / w; k++) {
        uint64_t x, r = 0;
        int has_rel = 0;
        if (rel && chance(55)) {
            r = w == 64 ? rel[k] : rel[k / 2] >> (32 * (k & 1)) & 0xffffffffu;
            has_rel = 1;
        } else if (k && chance(25)) {        /* related to the previous lane (HADD, HSUB) */
            r = prev;
            has_rel = 1;
        }
        if (ty == T_I32)
            x = has_rel && chance(30) ? r : int32v();
        else if (w == 32)
            x = has_rel ? related(r, 8, 23) & 0xffffffffu : fp32();
        else
            x = has_rel ? related(r, 11, 52) : fp64();
        prev = x;
        if (w == 64)
            v[k] = x;
        else if (k & 1)
            v[k / 2] |= x << 32;
        else
            v[k / 2] = x;
    }
}

/* ------------------------------------------------------------ operations */

enum {
    F_XX,        /* reg: XMM destination (and first source); rm: XMM or memory source */
    F_STORE,     /* rm: XMM or memory destination; reg: XMM source */
    F_COMI,      /* (U)COMISS/SD: reg, rm sources; EFLAGS */
    F_X_R32,     /* reg XMM; rm r32 or m32 (CVTSI2SS/SD) */
    F_R32_X,     /* reg r32 destination; rm XMM or memory (CVT(T)SS/SD2SI, MOVMSKPS/PD) */
    F_X_MM,      /* reg XMM; rm MM or m64 (CVTPI2PS/PD) */
    F_MM_X,      /* reg MM; rm XMM or memory (CVT(T)PS/PD2PI) */
    F_UD,        /* an encoding that does not exist: #UD */
};

enum { I_NONE, I_CMP, I_SHUF };

typedef struct {
    uint8_t pfx, op;
    uint8_t kind;
    uint8_t ts;        /* source lane type */
    uint8_t td;        /* destination lane type (its initial value) */
    uint8_t mem;       /* bytes of the memory operand */
    uint8_t align;     /* 16: must be aligned */
    uint8_t form;      /* M_ANY, M_REG, M_MEM */
    uint8_t imm;       /* I_NONE, I_CMP, I_SHUF */
    uint8_t fp;        /* may raise SIMD floating-point exceptions */
} FOp;

enum { M_ANY, M_REG, M_MEM };

/* packed single / double, scalar single / double shapes of one arithmetic opcode */
#define PS(op)  {0, op, F_XX, T_F32, T_F32, 16, 16, M_ANY, I_NONE, 1}
#define PD(op)  {0x66, op, F_XX, T_F64, T_F64, 16, 16, M_ANY, I_NONE, 1}
#define SS(op)  {0xf3, op, F_XX, T_F32, T_F32, 4, 0, M_ANY, I_NONE, 1}
#define SD(op)  {0xf2, op, F_XX, T_F64, T_F64, 8, 0, M_ANY, I_NONE, 1}
#define ARITH4(op) PS(op), PD(op), SS(op), SD(op)

static const FOp sse_arith_ops[] = {
    ARITH4(0x58), ARITH4(0x5c), ARITH4(0x59), ARITH4(0x5e),   /* ADD SUB MUL DIV */
    ARITH4(0x51), ARITH4(0x5d), ARITH4(0x5f),                 /* SQRT MIN MAX    */
};

static const FOp sse_cmp_ops[] = {
    {0, 0xc2, F_XX, T_F32, T_F32, 16, 16, M_ANY, I_CMP, 1},       /* CMPPS */
    {0x66, 0xc2, F_XX, T_F64, T_F64, 16, 16, M_ANY, I_CMP, 1},    /* CMPPD */
    {0xf3, 0xc2, F_XX, T_F32, T_F32, 4, 0, M_ANY, I_CMP, 1},      /* CMPSS */
    {0xf2, 0xc2, F_XX, T_F64, T_F64, 8, 0, M_ANY, I_CMP, 1},      /* CMPSD */
    {0, 0xc2, F_XX, T_F32, T_F32, 16, 16, M_ANY, I_CMP, 1},
    {0x66, 0xc2, F_XX, T_F64, T_F64, 16, 16, M_ANY, I_CMP, 1},
    {0xf3, 0xc2, F_XX, T_F32, T_F32, 4, 0, M_ANY, I_CMP, 1},
    {0xf2, 0xc2, F_XX, T_F64, T_F64, 8, 0, M_ANY, I_CMP, 1},
    {0, 0x2f, F_COMI, T_F32, T_F32, 4, 0, M_ANY, I_NONE, 1},      /* COMISS  */
    {0x66, 0x2f, F_COMI, T_F64, T_F64, 8, 0, M_ANY, I_NONE, 1},   /* COMISD  */
    {0, 0x2e, F_COMI, T_F32, T_F32, 4, 0, M_ANY, I_NONE, 1},      /* UCOMISS */
    {0x66, 0x2e, F_COMI, T_F64, T_F64, 8, 0, M_ANY, I_NONE, 1},   /* UCOMISD */
};

static const FOp sse_cvt_ops[] = {
    {0xf3, 0x2a, F_X_R32, T_I32, T_F32, 4, 0, M_ANY, I_NONE, 1},     /* CVTSI2SS  */
    {0xf2, 0x2a, F_X_R32, T_I32, T_F64, 4, 0, M_ANY, I_NONE, 1},     /* CVTSI2SD  */
    {0xf3, 0x2d, F_R32_X, T_F32, T_F32, 4, 0, M_ANY, I_NONE, 1},     /* CVTSS2SI  */
    {0xf2, 0x2d, F_R32_X, T_F64, T_F64, 8, 0, M_ANY, I_NONE, 1},     /* CVTSD2SI  */
    {0xf3, 0x2c, F_R32_X, T_F32, T_F32, 4, 0, M_ANY, I_NONE, 1},     /* CVTTSS2SI */
    {0xf2, 0x2c, F_R32_X, T_F64, T_F64, 8, 0, M_ANY, I_NONE, 1},     /* CVTTSD2SI */
    {0, 0x2a, F_X_MM, T_I32, T_F32, 8, 0, M_ANY, I_NONE, 1},         /* CVTPI2PS  */
    {0x66, 0x2a, F_X_MM, T_I32, T_F64, 8, 0, M_ANY, I_NONE, 1},      /* CVTPI2PD  */
    {0, 0x2d, F_MM_X, T_F32, T_F32, 8, 0, M_ANY, I_NONE, 1},         /* CVTPS2PI  */
    {0, 0x2c, F_MM_X, T_F32, T_F32, 8, 0, M_ANY, I_NONE, 1},         /* CVTTPS2PI */
    {0x66, 0x2d, F_MM_X, T_F64, T_F64, 16, 16, M_ANY, I_NONE, 1},    /* CVTPD2PI  */
    {0x66, 0x2c, F_MM_X, T_F64, T_F64, 16, 16, M_ANY, I_NONE, 1},    /* CVTTPD2PI */
    {0, 0x5a, F_XX, T_F32, T_F64, 8, 0, M_ANY, I_NONE, 1},           /* CVTPS2PD  */
    {0x66, 0x5a, F_XX, T_F64, T_F32, 16, 16, M_ANY, I_NONE, 1},      /* CVTPD2PS  */
    {0xf3, 0x5a, F_XX, T_F32, T_F64, 4, 0, M_ANY, I_NONE, 1},        /* CVTSS2SD  */
    {0xf2, 0x5a, F_XX, T_F64, T_F32, 8, 0, M_ANY, I_NONE, 1},        /* CVTSD2SS  */
    {0, 0x5b, F_XX, T_I32, T_F32, 16, 16, M_ANY, I_NONE, 1},         /* CVTDQ2PS  */
    {0x66, 0x5b, F_XX, T_F32, T_I32, 16, 16, M_ANY, I_NONE, 1},      /* CVTPS2DQ  */
    {0xf3, 0x5b, F_XX, T_F32, T_I32, 16, 16, M_ANY, I_NONE, 1},      /* CVTTPS2DQ */
    {0x66, 0xe6, F_XX, T_F64, T_I32, 16, 16, M_ANY, I_NONE, 1},      /* CVTTPD2DQ */
    {0xf3, 0xe6, F_XX, T_I32, T_F64, 8, 0, M_ANY, I_NONE, 1},        /* CVTDQ2PD  */
    {0xf2, 0xe6, F_XX, T_F64, T_I32, 16, 16, M_ANY, I_NONE, 1},      /* CVTPD2DQ  */
};

static const FOp sse_cvt_ud[] = {
    {0xf2, 0x5b, F_UD, T_RAW, T_RAW, 16, 0, M_ANY, I_NONE, 0},
    {0, 0xe6, F_UD, T_RAW, T_RAW, 16, 0, M_ANY, I_NONE, 0},
};

#define MV(p, op, kind, t, mem, al, form) {p, op, kind, t, t, mem, al, form, I_NONE, 0}

static const FOp sse_move_ops[] = {
    MV(0, 0x10, F_XX, T_F32, 16, 0, M_ANY),          /* MOVUPS load   */
    MV(0x66, 0x10, F_XX, T_F64, 16, 0, M_ANY),       /* MOVUPD load   */
    MV(0xf3, 0x10, F_XX, T_F32, 4, 0, M_ANY),        /* MOVSS load    */
    MV(0xf2, 0x10, F_XX, T_F64, 8, 0, M_ANY),        /* MOVSD load    */
    MV(0, 0x11, F_STORE, T_F32, 16, 0, M_ANY),       /* MOVUPS store  */
    MV(0x66, 0x11, F_STORE, T_F64, 16, 0, M_ANY),    /* MOVUPD store  */
    MV(0xf3, 0x11, F_STORE, T_F32, 4, 0, M_ANY),     /* MOVSS store   */
    MV(0xf2, 0x11, F_STORE, T_F64, 8, 0, M_ANY),     /* MOVSD store   */
    MV(0, 0x28, F_XX, T_F32, 16, 16, M_ANY),         /* MOVAPS load   */
    MV(0x66, 0x28, F_XX, T_F64, 16, 16, M_ANY),      /* MOVAPD load   */
    MV(0, 0x29, F_STORE, T_F32, 16, 16, M_ANY),      /* MOVAPS store  */
    MV(0x66, 0x29, F_STORE, T_F64, 16, 16, M_ANY),   /* MOVAPD store  */
    MV(0, 0x12, F_XX, T_F32, 8, 0, M_ANY),           /* MOVLPS m64 / MOVHLPS */
    MV(0x66, 0x12, F_XX, T_F64, 8, 0, M_MEM),        /* MOVLPD load   */
    MV(0, 0x13, F_STORE, T_F32, 8, 0, M_MEM),        /* MOVLPS store  */
    MV(0x66, 0x13, F_STORE, T_F64, 8, 0, M_MEM),     /* MOVLPD store  */
    MV(0, 0x16, F_XX, T_F32, 8, 0, M_ANY),           /* MOVHPS m64 / MOVLHPS */
    MV(0x66, 0x16, F_XX, T_F64, 8, 0, M_MEM),        /* MOVHPD load   */
    MV(0, 0x17, F_STORE, T_F32, 8, 0, M_MEM),        /* MOVHPS store  */
    MV(0x66, 0x17, F_STORE, T_F64, 8, 0, M_MEM),     /* MOVHPD store  */
    MV(0, 0x50, F_R32_X, T_F32, 0, 0, M_REG),        /* MOVMSKPS      */
    MV(0x66, 0x50, F_R32_X, T_F64, 0, 0, M_REG),     /* MOVMSKPD      */
    MV(0, 0x2b, F_STORE, T_F32, 16, 16, M_MEM),      /* MOVNTPS       */
    MV(0x66, 0x2b, F_STORE, T_F64, 16, 16, M_MEM),   /* MOVNTPD       */
    MV(0, 0x14, F_XX, T_F32, 16, 16, M_ANY),         /* UNPCKLPS      */
    MV(0x66, 0x14, F_XX, T_F64, 16, 16, M_ANY),      /* UNPCKLPD      */
    MV(0, 0x15, F_XX, T_F32, 16, 16, M_ANY),         /* UNPCKHPS      */
    MV(0x66, 0x15, F_XX, T_F64, 16, 16, M_ANY),      /* UNPCKHPD      */
    {0, 0xc6, F_XX, T_F32, T_F32, 16, 16, M_ANY, I_SHUF, 0},      /* SHUFPS */
    {0x66, 0xc6, F_XX, T_F64, T_F64, 16, 16, M_ANY, I_SHUF, 0},   /* SHUFPD */
    MV(0, 0x54, F_XX, T_F32, 16, 16, M_ANY), MV(0x66, 0x54, F_XX, T_F64, 16, 16, M_ANY),   /* ANDPS/PD  */
    MV(0, 0x55, F_XX, T_F32, 16, 16, M_ANY), MV(0x66, 0x55, F_XX, T_F64, 16, 16, M_ANY),   /* ANDNPS/PD */
    MV(0, 0x56, F_XX, T_F32, 16, 16, M_ANY), MV(0x66, 0x56, F_XX, T_F64, 16, 16, M_ANY),   /* ORPS/PD   */
    MV(0, 0x57, F_XX, T_F32, 16, 16, M_ANY), MV(0x66, 0x57, F_XX, T_F64, 16, 16, M_ANY),   /* XORPS/PD  */
    MV(0, 0x53, F_XX, T_F32, 16, 16, M_ANY),         /* RCPPS   */
    MV(0xf3, 0x53, F_XX, T_F32, 4, 0, M_ANY),        /* RCPSS   */
    MV(0, 0x52, F_XX, T_F32, 16, 16, M_ANY),         /* RSQRTPS */
    MV(0xf3, 0x52, F_XX, T_F32, 4, 0, M_ANY),        /* RSQRTSS */
    MV(0, 0x53, F_XX, T_F32, 16, 16, M_ANY),
    MV(0xf3, 0x53, F_XX, T_F32, 4, 0, M_ANY),
    MV(0, 0x52, F_XX, T_F32, 16, 16, M_ANY),
    MV(0xf3, 0x52, F_XX, T_F32, 4, 0, M_ANY),
};

static const FOp sse_move_ud[] = {
    MV(0x66, 0x12, F_UD, T_RAW, 16, 0, M_REG), MV(0, 0x13, F_UD, T_RAW, 16, 0, M_REG),
    MV(0x66, 0x13, F_UD, T_RAW, 16, 0, M_REG), MV(0x66, 0x16, F_UD, T_RAW, 16, 0, M_REG),
    MV(0, 0x17, F_UD, T_RAW, 16, 0, M_REG), MV(0x66, 0x17, F_UD, T_RAW, 16, 0, M_REG),
    MV(0, 0x50, F_UD, T_RAW, 16, 0, M_MEM), MV(0x66, 0x50, F_UD, T_RAW, 16, 0, M_MEM),
    MV(0, 0x2b, F_UD, T_RAW, 16, 0, M_REG), MV(0x66, 0x2b, F_UD, T_RAW, 16, 0, M_REG),
    MV(0x66, 0x52, F_UD, T_RAW, 16, 0, M_ANY), MV(0x66, 0x53, F_UD, T_RAW, 16, 0, M_ANY),
    MV(0xf2, 0x52, F_UD, T_RAW, 16, 0, M_ANY), MV(0xf2, 0x53, F_UD, T_RAW, 16, 0, M_ANY),
};

static const FOp sse3_ops[] = {
    {0xf2, 0xd0, F_XX, T_F32, T_F32, 16, 16, M_ANY, I_NONE, 1},      /* ADDSUBPS */
    {0x66, 0xd0, F_XX, T_F64, T_F64, 16, 16, M_ANY, I_NONE, 1},      /* ADDSUBPD */
    {0xf2, 0x7c, F_XX, T_F32, T_F32, 16, 16, M_ANY, I_NONE, 1},      /* HADDPS   */
    {0x66, 0x7c, F_XX, T_F64, T_F64, 16, 16, M_ANY, I_NONE, 1},      /* HADDPD   */
    {0xf2, 0x7d, F_XX, T_F32, T_F32, 16, 16, M_ANY, I_NONE, 1},      /* HSUBPS   */
    {0x66, 0x7d, F_XX, T_F64, T_F64, 16, 16, M_ANY, I_NONE, 1},      /* HSUBPD   */
    {0xf2, 0xd0, F_XX, T_F32, T_F32, 16, 16, M_ANY, I_NONE, 1},
    {0x66, 0xd0, F_XX, T_F64, T_F64, 16, 16, M_ANY, I_NONE, 1},
    {0xf2, 0x7c, F_XX, T_F32, T_F32, 16, 16, M_ANY, I_NONE, 1},
    {0x66, 0x7c, F_XX, T_F64, T_F64, 16, 16, M_ANY, I_NONE, 1},
    {0xf2, 0x7d, F_XX, T_F32, T_F32, 16, 16, M_ANY, I_NONE, 1},
    {0x66, 0x7d, F_XX, T_F64, T_F64, 16, 16, M_ANY, I_NONE, 1},
    MV(0xf3, 0x12, F_XX, T_F32, 16, 16, M_ANY),      /* MOVSLDUP */
    MV(0xf3, 0x16, F_XX, T_F32, 16, 16, M_ANY),      /* MOVSHDUP */
    MV(0xf2, 0x12, F_XX, T_F64, 8, 0, M_ANY),        /* MOVDDUP  */
    MV(0xf2, 0xf0, F_XX, T_RAW, 16, 0, M_MEM),       /* LDDQU    */
};

static const FOp sse3_ud[] = {
    MV(0xf2, 0xf0, F_UD, T_RAW, 16, 0, M_REG),       /* LDDQU with a register */
    MV(0, 0xd0, F_UD, T_RAW, 16, 0, M_ANY), MV(0xf3, 0xd0, F_UD, T_RAW, 16, 0, M_ANY),
    MV(0, 0x7c, F_UD, T_RAW, 16, 0, M_ANY), MV(0xf3, 0x7d, F_UD, T_RAW, 16, 0, M_ANY),
    MV(0, 0xf0, F_UD, T_RAW, 16, 0, M_ANY),
};

/* ------------------------------------------------------------ generator */

static void set_value(STest *s, int i, int ty)
{
    uint64_t v[2];
    value128(ty, v, NULL);
    set_xmm(s, i, v[0], v[1]);
}

static void gen_fp(STest *s, const FOp *o, int lock, int pfx_variant)
{
    Test *t = &s->t;
    int mem = o->form == M_MEM ? 1 : o->form == M_REG ? 0 : chance(40);
    int reg = rn(8), rm = rn(8);
    uint64_t v[2];

    s->mxcsr = mxcsr_gen();
    if (lock) {
        emit(t, 0xf0);
        s->expect = 6;
    }
    if (mem)
        maybe_seg(t);
    emit_pfx(t, o->pfx, pfx_variant);
    emit(t, 0x0f);
    emit(t, o->op);

    switch (o->kind) {
    case F_XX:
        set_value(s, reg, o->td);
        value128(o->ts, v, o->ts == o->td ? s->xmm[reg] : NULL);
        if (mem) {
            mem_source(s, reg, o->mem, o->align, v);
        } else {
            if (rm != reg) set_xmm(s, rm, v[0], v[1]);
            modrm_reg(t, reg, rm);
        }
        break;
    case F_STORE:
        set_value(s, reg, o->ts);
        if (mem) {
            int win;
            mem_operand(s, reg, o->mem, o->align, &win);
        } else {
            if (rm != reg) set_value(s, rm, o->ts);
            modrm_reg(t, reg, rm);
        }
        break;
    case F_COMI:
        set_value(s, reg, o->ts);
        value128(o->ts, v, s->xmm[reg]);
        if (mem) {
            mem_source(s, reg, o->mem, 0, v);
        } else {
            if (rm != reg) set_xmm(s, rm, v[0], v[1]);
            modrm_reg(t, reg, rm);
        }
        break;
    case F_X_R32:
        set_value(s, reg, o->td);
        v[0] = int32v();
        if (mem) {
            mem_source(s, reg, 4, 0, v);
        } else {
            if (rm != ESP) s->t.r[rm] = (uint32_t)v[0];
            modrm_reg(t, reg, rm);
        }
        break;
    case F_R32_X:
        reg = pick_gpr_dst();
        value128(o->ts, v, NULL);
        if (mem) {
            mem_source(s, reg, o->mem, o->align, v);
        } else {
            set_xmm(s, rm, v[0], v[1]);
            modrm_reg(t, reg, rm);
        }
        break;
    case F_X_MM:
        set_value(s, reg, o->td);
        value128(T_I32, v, NULL);
        if (mem) {
            mem_source(s, reg, 8, 0, v);
        } else {
            set_mm(s, rm, v[0]);
            modrm_reg(t, reg, rm);
        }
        break;
    case F_MM_X:
        set_mm(s, reg, packed(32, V_EDGE));
        value128(o->ts, v, NULL);
        if (mem) {
            mem_source(s, reg, o->mem, o->align, v);
        } else {
            set_xmm(s, rm, v[0], v[1]);
            modrm_reg(t, reg, rm);
        }
        break;
    case F_UD:
        s->expect = 6;
        set_value(s, reg, T_F32);
        set_value(s, rm, T_F32);
        if (mem) {
            int win;
            mem_operand(s, reg, 16, 0, &win);
        } else {
            modrm_reg(t, reg, rm);
        }
        break;
    }
    if (o->imm == I_CMP)
        emit(t, chance(92) ? rn(8) : rnd() & 0xff);
    else if (o->imm == I_SHUF)
        emit(t, rnd() & 0xff);
    if (o->fp && s->expect == -1 && (s->mxcsr & 0x1f80) != 0x1f80)
        s->expect = EXPECT_ANY_XM;
}

/* as gen_family in simd.c: ud_pct % #UD (LOCK, or the invalid encodings),
   pfx_pct % with a redundant prefix next to the mandatory one */
static int gen_fp_family(int n, const FOp *ops, int nops, const FOp *ud, int nud, int ud_pct, int pfx_pct)
{
    for (int i = 0; i < n; i++) {
        STest s;
        st_init(&s);
        if (pfx_pct && chance(pfx_pct)) {
            const FOp *o;
            do o = &ops[rn(nops)]; while (!o->pfx);
            gen_fp(&s, o, 0, 1);
        } else if (chance(ud_pct)) {
            if (nud && chance(70))
                gen_fp(&s, &ud[rn(nud)], 0, 0);
            else
                gen_fp(&s, &ops[rn(nops)], 1, 0);
        } else {
            gen_fp(&s, &ops[rn(nops)], 0, 0);
        }
        run_and_print_simd(&s);
    }
    return n;
}

int fam_sse_arith(int n) { return gen_fp_family(n, sse_arith_ops, N(sse_arith_ops), NULL, 0, 1, 3); }
int fam_sse_cmp(int n) { return gen_fp_family(n, sse_cmp_ops, N(sse_cmp_ops), NULL, 0, 1, 3); }
int fam_sse_cvt(int n)
{
    return gen_fp_family(n, sse_cvt_ops, N(sse_cvt_ops), sse_cvt_ud, N(sse_cvt_ud), 2, 3);
}
int fam_sse_move(int n)
{
    return gen_fp_family(n, sse_move_ops, N(sse_move_ops), sse_move_ud, N(sse_move_ud), 4, 3);
}
int fam_sse3(int n) { return gen_fp_family(n, sse3_ops, N(sse3_ops), sse3_ud, N(sse3_ud), 4, 3); }

/* ------------------------------------------------------------ LDMXCSR / STMXCSR */

int fam_ldst_mxcsr(int n)
{
    for (int i = 0; i < n; i++) {
        STest s;
        st_init(&s);
        Test *t = &s.t;
        s.mxcsr = mxcsr_gen();
        int kind = rn(100);
        if (kind < 3) {                      /* LOCK: #UD */
            emit(t, 0xf0);
            s.expect = 6;
        }
        int win, off, ld = chance(60);
        if (kind >= 3 && kind < 8) {         /* register form: #UD */
            emit(t, 0x0f); emit(t, 0xae);
            modrm_reg(t, ld ? 2 : 3, rn(8));
            s.expect = 6;
        } else {
            maybe_seg(t);
            emit(t, 0x0f); emit(t, 0xae);
            off = mem_operand(&s, ld ? 2 : 3, 4, 0, &win);
            if (ld) {
                uint32_t v;
                switch (rn(10)) {
                case 0:  v = MXCSR_DEFAULT; break;
                case 1:  v = (rnd() & 0xffff) | 1u << 16; break;              /* reserved: #GP */
                case 2:
                    v = rnd() & 0xffff;
                    v |= rnd() & 0xfffc0000u;
                    v |= 1u << (18 + rn(14));
                    break;
                case 3:  v = rnd() & 0xfffdffffu; v |= 1u << (18 + rn(14)); break;
                case 4:  v = 0; break;
                case 5:  v = 0xffff; break;
                default: v = mxcsr_gen() ^ (rnd() & 0x3f); break;
                }
                put_win(t, win, off, v, 4);
                if ((v & 0xfffd0000u) && s.expect < 0)
                    s.expect = 13;
            }
        }
        run_and_print_simd(&s);
    }
    return n;
}
