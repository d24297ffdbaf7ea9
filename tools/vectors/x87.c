/*
 * x87.c - the x87 families of the SIMD harness (README.md, "x87 vectors").
 *
 * An x87 line is a SIMD line with the x87 state added: the control word,
 * the status word (with TOP), the full tag word and the eight physical
 * registers as 80-bit images, before and after, and an FSW compare mask
 * that leaves out the condition codes the SDM calls undefined for the
 * instruction.  The state is loaded with FXRSTOR (simd.c, run_once), so any
 * TOP, any tags and any 80-bit contents (pseudo-denormals, unnormals,
 * pseudo-infinities, pseudo-NaNs) can be set up.  No starting state has a
 * pending unmasked exception: the status word's exception flags are always
 * a subset of the masked ones, so ES is clear and no instruction under test
 * raises #MF.  An instruction that leaves an unmasked exception pending is
 * recorded as it left the state (ES and B set).
 */
#include <stdio.h>
#include <stdlib.h>
#include "simd.h"

#define J (1ull << 63)
#define C0 0x0100
#define C1 0x0200
#define C2 0x0400
#define C3 0x4000
#define FSW_UNDEF_023 (0xffff & ~(C0 | C2 | C3))

typedef struct { uint16_t e; uint64_t m; } F80;

static int msb64(uint64_t v) { return 63 - __builtin_clzll(v); }

/* exact conversions of a single / double to the 80-bit format */
static F80 from32(uint32_t b)
{
    F80 r;
    uint16_t s = b >> 31 ? 0x8000 : 0;
    int e = b >> 23 & 0xff;
    uint64_t f = b & 0x7fffff;
    if (e == 0xff) {
        r.e = s | 0x7fff; r.m = J | f << 40;
    } else if (e == 0) {
        if (!f) { r.e = s; r.m = 0; }
        else { int k = msb64(f); r.m = f << (63 - k); r.e = s | (16383 - 149 + k); }
    } else {
        r.e = s | (e - 127 + 16383); r.m = J | f << 40;
    }
    return r;
}

static F80 from64(uint64_t b)
{
    F80 r;
    uint16_t s = b >> 63 ? 0x8000 : 0;
    int e = b >> 52 & 0x7ff;
    uint64_t f = b & 0xfffffffffffffull;
    if (e == 0x7ff) {
        r.e = s | 0x7fff; r.m = J | f << 11;
    } else if (e == 0) {
        if (!f) { r.e = s; r.m = 0; }
        else { int k = msb64(f); r.m = f << (63 - k); r.e = s | (16383 - 1074 + k); }
    } else {
        r.e = s | (e - 1023 + 16383); r.m = J | f << 11;
    }
    return r;
}

static uint16_t sgn(void) { return chance(50) ? 0x8000 : 0; }

static uint64_t m63(void)
{
    switch (rn(8)) {
    case 0:  return 0;
    case 1:  return r64() & 0x7f00000000000000ull;
    case 2:  return ~J;
    case 3:  return rn(16);
    case 4:  return r64() & 0x7fffff0000000000ull;      /* a single's significand */
    case 5:  return r64() & 0x7ffffffffffff800ull;      /* a double's significand */
    default: return r64() & ~J;
    }
}

/* integer-valued and half-integer values around the FIST / FISTTP limits */
static F80 intish80(void)
{
    static const int ex[] = {0, 1, 2, 14, 15, 16, 30, 31, 32, 62, 63, 64, 22, 52};
    F80 r;
    int k = ex[rn(N(ex))];
    uint64_t m;
    switch (rn(5)) {
    case 0:  m = J; break;                                           /* 2^k */
    case 1:  m = ~0ull; break;                                       /* 2^(k+1) - tiny */
    case 2:  m = J | (k < 62 ? 1ull << (62 - k) : 0); break;         /* 2^k + 0.5 */
    case 3:  m = k <= 62 ? ~0ull << (62 - k) : ~0ull; break;          /* 2^(k+1) - 0.5 */
    default: m = J | (r64() >> 1 & ~(k < 62 ? (1ull << (61 - k)) - 1 : 0)); break;
    }
    r.e = sgn() | (16383 + k);
    r.m = m;
    if (chance(30)) {                        /* small integers and halves */
        double d = (double)(int)rn(9) - 4 + (chance(50) ? 0.5 : 0) + (chance(20) ? 0.25 : 0);
        uint64_t b; memcpy(&b, &d, 8);
        r = from64(b);
    }
    return r;
}

static const F80 f80_table[] = {
    {0x0000, 0}, {0x8000, 0}, {0x7fff, J}, {0xffff, J}, {0xffff, 0xc000000000000000ull},
    {0x7fff, 0xc000000000000000ull}, {0x7fff, 0xc000000000000001ull}, {0x7fff, 0x8000000000000001ull},
    {0xffff, 0xbfffffffffffffffull}, {0x3fff, J}, {0xbfff, J}, {0x7ffe, ~0ull}, {0xfffe, ~0ull},
    {0x0001, J}, {0x8001, J}, {0x0000, ~J}, {0x0000, 1}, {0x8000, 1}, {0x0000, J}, {0x8000, J | 1},
    {0x4000, J}, {0x3ffe, J}, {0x4000, 0xc90fdaa22168c235ull}, {0x7fff, 0}, {0x7fff, 0x4000000000000000ull},
    {0x3fff, 0x0000000000000000ull}, {0x3fff, 0x4000000000000000ull}, {0x403e, J}, {0xc03e, J},
    {0x401e, J}, {0xc01e, J}, {0x400e, J}, {0xc00e, J}, {0x3f81, J}, {0x3c01, J}, {0x407e, ~0ull},
    {0x43fe, ~0ull}, {0x3f80, ~0ull}, {0x3c00, ~0ull}, {0x3f6a, J}, {0x3bcd, J},
};

/* an edge-biased 80-bit value, unsupported formats included */
static F80 fp80(void)
{
    F80 r;
    switch (rn(26)) {
    case 0: case 1: case 2:
        return f80_table[rn(N(f80_table))];
    case 3:                                  /* NaN */
        r.e = sgn() | 0x7fff;
        r.m = J | (chance(50) ? 1ull << 62 : 0) | (m63() & ((1ull << 62) - 1));
        if (r.m == J) r.m |= 1;
        return r;
    case 4:                                  /* denormal */
        r.e = sgn(); r.m = m63(); if (!r.m) r.m = 1;
        return r;
    case 5:                                  /* pseudo-denormal */
        r.e = sgn(); r.m = J | m63();
        return r;
    case 6:                                  /* unnormal */
        r.e = sgn() | (chance(50) ? 1 + rn(0x7ffe) : 0x3fff + rn(64) - 32); r.m = m63();
        return r;
    case 7:                                  /* pseudo-infinity / pseudo-NaN */
        r.e = sgn() | 0x7fff; r.m = chance(30) ? 0 : m63();
        return r;
    case 8:                                  /* huge */
        r.e = sgn() | (0x7ffe - rn(16)); r.m = J | m63();
        return r;
    case 9:                                  /* tiny normal */
        r.e = sgn() | (1 + rn(16)); r.m = J | m63();
        return r;
    case 10: case 11:
        return from32(fp32());
    case 12: case 13:
        return from64(fp64());
    case 14: case 15:
        return intish80();
    case 16: case 17: {                      /* ties when rounded to 24 / 53 / 64 bits */
        int pc = rn(2);
        r.e = sgn() | (0x3fff + rn(40) - 20);
        if (pc == 0)
            r.m = J | (r64() & 0x7fffff0000000000ull) | 1ull << 39 | (chance(30) ? rn(4) : 0);
        else
            r.m = J | (r64() & 0x7ffffffffffff800ull) | 1ull << 10 | (chance(30) ? rn(4) : 0);
        return r;
    }
    case 18: {                               /* at the single / double range edges */
        static const int ex[] = {0x3f81, 0x3f80, 0x3f6a, 0x3f69, 0x407e, 0x407f, 0x3c01, 0x3c00,
                                 0x3bcd, 0x3bcc, 0x43fe, 0x43ff, 0x3f7f, 0x3bff, 0x3f6b, 0x3bce};
        r.e = sgn() | ex[rn(N(ex))]; r.m = J | m63();
        return r;
    }
    default:
        r.e = sgn() | (0x3fff + rn(81) - 40); r.m = J | m63();
        return r;
    }
}

/* a second operand related to a: equal, negated, a tie or sticky bit at
   24, 53 or 64 bits of a, a scaled, a neighbour, the same exponent */
static F80 related80(F80 a)
{
    F80 r = a;
    int e = a.e & 0x7fff;
    switch (rn(9)) {
    case 0:  return a;
    case 1:  r.e ^= 0x8000; return r;
    case 2: case 3: {
        static const int bits[] = {24, 53, 64};
        int ne = e - bits[rn(3)] - (chance(70) ? 0 : rn(3));
        r.e = sgn() | (ne > 0 ? ne : 1);
        r.m = J | (chance(60) ? 0 : m63());
        return r;
    }
    case 4: {
        int ne = e + (int)rn(141) - 70;
        r.e = (a.e & 0x8000) | (ne < 1 ? 1 : ne > 0x7ffe ? 0x7ffe : ne);
        return r;
    }
    case 5:  r.m = a.m + (chance(50) ? 1 : -1); return r;
    case 6:  r.m = (a.m & J) | m63(); r.e ^= chance(50) ? 0x8000 : 0; return r;
    default: return fp80();
    }
}

/* ---------------------------------------------------------------- classes */

enum { X_ZERO, X_NORMAL, X_DENORMAL, X_INF, X_QNAN, X_SNAN, X_UNSUPPORTED };

/* the class of an 80-bit value; pseudo-denormals count as denormals */
static int k80(F80 v)
{
    int e = v.e & 0x7fff;
    if (e == 0x7fff) {
        if (!(v.m >> 63)) return X_UNSUPPORTED;
        if (v.m == J) return X_INF;
        return v.m >> 62 & 1 ? X_QNAN : X_SNAN;
    }
    if (e == 0) return v.m ? X_DENORMAL : X_ZERO;
    return v.m >> 63 ? X_NORMAL : X_UNSUPPORTED;
}

/* the unbiased exponent of a finite non-zero value, denormals normalised */
static int expo80(F80 v)
{
    int e = v.e & 0x7fff;
    if (e == 0) return 1 - 16383 - __builtin_clzll(v.m);
    return e - 16383;
}

static int k32(uint32_t b)
{
    if ((b >> 23 & 0xff) != 0xff) return X_NORMAL;
    if (!(b & 0x7fffff)) return X_INF;
    return b >> 22 & 1 ? X_QNAN : X_SNAN;
}

static int k64(uint64_t b)
{
    if ((b >> 52 & 0x7ff) != 0x7ff) return X_NORMAL;
    if (!(b & 0xfffffffffffffull)) return X_INF;
    return b >> 51 & 1 ? X_QNAN : X_SNAN;
}

/* a compare operand of class k is invalid (SNaN, unsupported; QNaN too unless unordered-quiet) */
static int cmp_invalid(int k, int quiet_ok)
{
    return k == X_SNAN || k == X_UNSUPPORTED || (k == X_QNAN && !quiet_ok);
}

/* ---------------------------------------------------------------- state */

static void put80(STest *s, int p, F80 v) { s->st_e[p] = v.e; s->st_m[p] = v.m; }
static F80 get80(const STest *s, int p) { F80 v = {s->st_e[p], s->st_m[p]}; return v; }
static int phys(const STest *s, int i) { return ((s->fsw >> 11) + i) & 7; }
/* the contents of ST(i); its tag stays as it is */
static void set_st(STest *s, int i, F80 v) { put80(s, phys(s, i), v); }
static F80 st(const STest *s, int i) { return get80(s, phys(s, i)); }
static int empty(const STest *s, int i) { return !(s->ftag >> phys(s, i) & 1); }

/* ST(i) not empty, except in 5 % of the tests (stack underflow) */
static void need(STest *s, int i)
{
    if (chance(95)) s->ftag |= 1 << phys(s, i);
    else s->ftag &= ~(1 << phys(s, i));
}

/* ST(7) empty for a push, except in 7 % of the tests (stack overflow) */
static void need_free(STest *s)
{
    if (chance(93)) s->ftag &= ~(1 << phys(s, 7));
    else s->ftag |= 1 << phys(s, 7);
}

static void x87_init(STest *s)
{
    static const int pcs[] = {3, 3, 3, 3, 2, 2, 0, 0};
    uint16_t masks = 0x3f;
    if (chance(35)) {
        do masks = 0x3f & ~(rnd() & rnd() & 0x3f); while (masks == 0x3f);
    }
    int rc = chance(50) ? 0 : rn(4);
    s->fcw = 0x0040 | masks | pcs[rn(8)] << 8 | rc << 10;
    s->fsw = rn(8) << 11 | (rnd() & (C0 | C1 | C2 | C3));
    if (chance(40))
        s->fsw |= rnd() & masks;             /* sticky flags, masked ones only */
    if ((s->fsw & 1) && chance(30))
        s->fsw |= 0x40;                      /* SF */
    s->ftag = 0;
    for (int p = 0; p < 8; p++) {
        put80(s, p, fp80());
        if (chance(70)) s->ftag |= 1 << p;
    }
    s->fsw_mask = 0xffff;
    s->st_mask = 0xff;
    s->x87 = 1;
}

static void x87_finish(STest *s)
{
    for (int i = 0; i < 8; i++)
        s->mm[i] = s->st_m[i];
    run_and_print_simd(s);
}

/* a memory operand of 'bytes' bytes holding v (little-endian 80-bit: 8 + 2) */
static void mem80(STest *s, int ext, int bytes, uint64_t lo, uint16_t hi)
{
    int win, off = mem_operand(s, ext, bytes, 0, &win);
    put64(&s->t, win, off, lo, bytes < 8 ? bytes : 8);
    if (bytes == 10)
        put_win(&s->t, win, off + 8, hi, 2);
}

static void esc(STest *s, int opc)
{
    if (chance(4)) maybe_seg(&s->t);
    emit(&s->t, opc);
}

/* an integer operand of 'bits' bits: edges, small values */
static uint64_t intv(int bits)
{
    if (bits == 64) {
        switch (rn(6)) {
        case 0:  return 1ull << 63;
        case 1:  return ~0ull >> 1;
        case 2:  return (uint64_t)(int64_t)(int32_t)edge(32);
        case 3:  return (1ull << (53 + rn(10))) + rn(5) - 2;
        default: return r64() >> rn(64);
        }
    }
    return edge(bits);
}

/* the value of a memory source for format f: 0 m32 real, 1 m32 int, 2 m64 real, 3 m16 int */
static uint64_t mem_value(int f, F80 rel)
{
    (void)rel;
    switch (f) {
    case 0:  return fp32();
    case 1:  return edge(32);
    case 2:  return fp64();
    default: return edge(16);
    }
}

/* ------------------------------------------------------------ x87_arith */

/* a normal value with a huge, tiny or moderate exponent (products and
   quotients that overflow or underflow) */
static F80 extreme80(void)
{
    F80 r;
    switch (rn(3)) {
    case 0:  r.e = 0x7ffe - rn(16); break;
    case 1:  r.e = 1 + rn(16); break;
    default: r.e = 0x3fff + rn(9) - 4; break;
    }
    r.e |= sgn();
    r.m = J | m63();
    return r;
}

static const int arith_ops[] = {0, 1, 4, 5, 6, 7};       /* ADD MUL SUB SUBR DIV DIVR (ModRM.reg) */

int fam_x87_arith(int n)
{
    for (int k = 0; k < n; k++) {
        STest s;
        st_init(&s);
        x87_init(&s);
        Test *t = &s.t;
        int op = arith_ops[rn(6)];
        s.fsw_mask = FSW_UNDEF_023;
        int form = rn(20);
        if (form < 9) {                      /* D8 / DC / DE register forms */
            static const int opc[] = {0xd8, 0xdc, 0xde};
            int i = rn(8);
            need(&s, 0);
            need(&s, i);
            if (chance(35)) set_st(&s, i, related80(st(&s, 0)));
            if (chance(15)) {                /* both extreme: overflow, underflow */
                set_st(&s, 0, extreme80());
                set_st(&s, i, extreme80());
            }
            esc(&s, opc[rn(3)]);
            modrm_reg(t, op, i);
        } else if (form < 17) {              /* D8 m32, DC m64 (and a few DA m32int, DE m16int) */
            int f = form < 13 ? 0 : form < 16 ? 2 : rn(2) ? 1 : 3;
            static const int opc[] = {0xd8, 0xda, 0xdc, 0xde};
            need(&s, 0);
            uint64_t v;
            if (f == 0 && chance(35)) {      /* ST(0) a single, the operand related to it */
                uint32_t a = fp32();
                set_st(&s, 0, from32(a));
                v = chance(50) ? fp32() : (a ^ (chance(50) ? 0x80000000u : 0)) + (chance(50) ? rn(3) : 0);
            } else if (f == 2 && chance(35)) {
                uint64_t a = fp64();
                set_st(&s, 0, from64(a));
                v = chance(50) ? fp64() : (a ^ (chance(50) ? 1ull << 63 : 0)) + (chance(50) ? rn(3) : 0);
            } else {
                v = mem_value(f, st(&s, 0));
            }
            esc(&s, opc[f]);
            mem80(&s, op, f == 2 ? 8 : f == 3 ? 2 : 4, v, 0);
        } else {                             /* FSQRT */
            need(&s, 0);
            esc(&s, 0xd9);
            emit(t, 0xfa);
        }
        x87_finish(&s);
    }
    return n;
}

/* ------------------------------------------------------------ x87_ldst */

int fam_x87_ldst(int n)
{
    for (int k = 0; k < n; k++) {
        STest s;
        st_init(&s);
        x87_init(&s);
        Test *t = &s.t;
        s.fsw_mask = FSW_UNDEF_023;
        switch (rn(22)) {
        case 0: case 1: case 2: {            /* FLD m32 / m64 / m80 */
            int f = rn(3);
            need_free(&s);
            if (f == 0) { esc(&s, 0xd9); mem80(&s, 0, 4, fp32(), 0); }
            else if (f == 1) { esc(&s, 0xdd); mem80(&s, 0, 8, fp64(), 0); }
            else { F80 v = fp80(); esc(&s, 0xdb); mem80(&s, 5, 10, v.m, v.e); }
            break;
        }
        case 3: {                            /* FLD ST(i) */
            int i = rn(8);
            need(&s, i);
            need_free(&s);
            esc(&s, 0xd9);
            modrm_reg(t, 0, i);
            break;
        }
        case 4: case 5: case 6: case 7: {    /* FST/FSTP m32, m64; FSTP m80 */
            static const int opc[] = {0xd9, 0xd9, 0xdd, 0xdd, 0xdb};
            static const int ext[] = {2, 3, 2, 3, 7};
            static const int sz[] = {4, 4, 8, 8, 10};
            int f = rn(5), win;
            need(&s, 0);
            if (f < 4 && chance(40)) {       /* at the target format's range edges */
                static const int e32[] = {0x407e, 0x407f, 0x4080, 0x3f81, 0x3f80, 0x3f6a, 0x3f69, 0x3f68};
                static const int e64[] = {0x43fe, 0x43ff, 0x4400, 0x3c01, 0x3c00, 0x3bcd, 0x3bcc, 0x3bcb};
                F80 v;
                v.e = sgn() | (f < 2 ? e32 : e64)[rn(8)];
                v.m = J | m63();
                if (chance(25)) {            /* just below the smallest normal: rounds up to it */
                    v.e = (v.e & 0x8000) | (f < 2 ? 0x3f80 : 0x3c00);
                    v.m = ~0ull ^ (chance(50) ? 0 : rn(256));
                }
                set_st(&s, 0, v);
            }
            esc(&s, opc[f]);
            mem_operand(&s, ext[f], sz[f], 0, &win);
            break;
        }
        case 8: {                            /* FST / FSTP ST(i) */
            int i = rn(8);
            need(&s, 0);
            esc(&s, 0xdd);
            modrm_reg(t, chance(50) ? 2 : 3, i);
            break;
        }
        case 9: case 10: case 11: {          /* FILD m16 / m32 / m64 */
            int f = rn(3);
            need_free(&s);
            if (f == 0) { esc(&s, 0xdf); mem80(&s, 0, 2, intv(16), 0); }
            else if (f == 1) { esc(&s, 0xdb); mem80(&s, 0, 4, intv(32), 0); }
            else { esc(&s, 0xdf); mem80(&s, 5, 8, intv(64), 0); }
            break;
        }
        default: {                           /* FIST m16/m32, FISTP m16/m32/m64, FISTTP m16/m32/m64 */
            static const int opc[] = {0xdf, 0xdb, 0xdf, 0xdb, 0xdf, 0xdf, 0xdb, 0xdd};
            static const int ext[] = {2, 2, 3, 3, 7, 1, 1, 1};
            static const int sz[] = {2, 4, 2, 4, 8, 2, 4, 8};
            int f = rn(8), win;
            need(&s, 0);
            if (chance(65)) set_st(&s, 0, intish80());
            esc(&s, opc[f]);
            mem_operand(&s, ext[f], sz[f], 0, &win);
            break;
        }
        }
        x87_finish(&s);
    }
    return n;
}

/* ------------------------------------------------------------ x87_misc */

/* an FSCALE scale factor */
static F80 scale80(void)
{
    static const int small[] = {0, 1, -1, 2, -2, 63, 64, -64, 16383, -16383, 16384, -16445, 32767, -32768,
                                30000, -30000, 100000, -100000, 12, -12};
    if (chance(30))
        return fp80();
    double d = small[rn(N(small))] + (chance(20) ? (chance(50) ? 0.5 : -0.75) : 0);
    if (chance(20)) d = (double)((int)rn(200) - 100);
    uint64_t b; memcpy(&b, &d, 8);
    return from64(b);
}

int fam_x87_misc(int n)
{
    for (int k = 0; k < n; k++) {
        STest s;
        st_init(&s);
        x87_init(&s);
        Test *t = &s.t;
        s.fsw_mask = FSW_UNDEF_023;
        switch (rn(22)) {
        case 0: case 1: case 2:              /* FRNDINT */
            need(&s, 0);
            if (chance(60)) set_st(&s, 0, intish80());
            esc(&s, 0xd9); emit(t, 0xfc);
            break;
        case 3: case 4: case 5:              /* FSCALE */
            need(&s, 0); need(&s, 1);
            set_st(&s, 1, scale80());
            esc(&s, 0xd9); emit(t, 0xfd);
            break;
        case 6: case 7:                      /* FXTRACT */
            need(&s, 0); need_free(&s);
            esc(&s, 0xd9); emit(t, 0xf4);
            break;
        case 8: case 9: case 10: case 11: case 12: {   /* FPREM, FPREM1 */
            need(&s, 0); need(&s, 1);
            if (chance(70)) {                /* exponent difference 0..80 */
                F80 a = st(&s, 0), b = st(&s, 1);
                int ea = a.e & 0x7fff;
                if (ea > 100 && ea < 0x7f00) {
                    int ne = ea - rn(81);
                    b.e = (b.e & 0x8000) | ne;
                    b.m |= J;
                    if (chance(20)) b.m = a.m;
                    set_st(&s, 1, b);
                }
            }
            s.fsw_mask = 0xffff;
            {
                /* implementation-specific or undefined (README.md, "What to compare"): a
                   partial remainder (exponent difference 64 or more, SDM FPREM: "N, an
                   implementation-dependent number between 32 and 63"): ST(0) and the
                   quotient bits C0 C1 C3; no remainder (a NaN, an invalid operand, an
                   empty register, an unmasked denormal): C0 C3, and C1 unless a register
                   is empty */
                F80 a = st(&s, 0), b = st(&s, 1);
                int ka = k80(a), kb = k80(b), e0 = empty(&s, 0), e1 = empty(&s, 1);
                int fin = (ka == X_NORMAL || ka == X_DENORMAL) && (kb == X_NORMAL || kb == X_DENORMAL);
                if (!e0 && !e1 && fin && expo80(a) - expo80(b) >= 63) {
                    s.fsw_mask &= ~(C0 | C1 | C3);
                    s.st_mask &= ~(1 << phys(&s, 0));
                } else if (e0 || e1 || ka >= X_QNAN || kb >= X_QNAN || ka == X_INF || kb == X_ZERO
                           || (!(s.fcw & 2) && (ka == X_DENORMAL || kb == X_DENORMAL))) {
                    s.fsw_mask &= ~(C0 | C3 | (e0 || e1 ? 0 : C1));
                }
            }
            esc(&s, 0xd9); emit(t, chance(50) ? 0xf8 : 0xf5);
            break;
        }
        case 13: case 14:                    /* FCHS, FABS */
            need(&s, 0);
            esc(&s, 0xd9); emit(t, chance(50) ? 0xe0 : 0xe1);
            break;
        case 15: case 16: case 17: {         /* FXCH */
            int i = rn(8);
            need(&s, 0); need(&s, i);
            esc(&s, 0xd9); modrm_reg(t, 1, i);
            break;
        }
        case 18: case 19:                    /* FTST */
            need(&s, 0);
            s.fsw_mask = 0xffff;
            esc(&s, 0xd9); emit(t, 0xe4);
            break;
        default:                             /* FXAM (empty registers too) */
            if (chance(80)) need(&s, 0);
            s.fsw_mask = 0xffff;
            esc(&s, 0xd9); emit(t, 0xe5);
            break;
        }
        x87_finish(&s);
    }
    return n;
}

/* ------------------------------------------------------------ x87_cmp */

int fam_x87_cmp(int n)
{
    for (int k = 0; k < n; k++) {
        STest s;
        st_init(&s);
        x87_init(&s);
        Test *t = &s.t;
        int r = rn(24);
        if (r < 6) {                         /* FCOM/FCOMP m32, m64; FICOM/FICOMP m16, m32 */
            int f = r < 3 ? 0 : r < 5 ? 2 : rn(2) ? 1 : 3;
            static const int opc[] = {0xd8, 0xda, 0xdc, 0xde};
            need(&s, 0);
            uint64_t v;
            if (f == 0 && chance(40)) {
                uint32_t a = fp32();
                set_st(&s, 0, from32(a));
                v = chance(30) ? a : chance(50) ? fp32() : a ^ 0x80000000u;
            } else if (f == 2 && chance(40)) {
                uint64_t a = fp64();
                set_st(&s, 0, from64(a));
                v = chance(30) ? a : chance(50) ? fp64() : a ^ 1ull << 63;
            } else {
                v = mem_value(f, st(&s, 0));
            }
            /* an invalid compare with IE unmasked: the SDM (FCOM) sets C3 C2 C0 only
               when IM is set; this CPU sets them anyway (README.md, "What to compare") */
            int kv = f == 0 ? k32((uint32_t)v) : f == 2 ? k64(v) : X_NORMAL;
            int inv = empty(&s, 0) || cmp_invalid(k80(st(&s, 0)), 0) || cmp_invalid(kv, 0);
            if (inv && !(s.fcw & 1))
                s.fsw_mask &= ~(C0 | C2 | C3);
            esc(&s, opc[f]);
            mem80(&s, chance(50) ? 2 : 3, f == 2 ? 8 : f == 3 ? 2 : 4, v, 0);
        } else {
            /* register forms: D8 D0+i FCOM, D8 D8+i FCOMP, DE D9 FCOMPP, DD E0+i FUCOM,
               DD E8+i FUCOMP, DA E9 FUCOMPP, DB F0+i FCOMI, DF F0+i FCOMIP, DB E8+i FUCOMI,
               DF E8+i FUCOMIP */
            static const int opc[] = {0xd8, 0xd8, 0xde, 0xdd, 0xdd, 0xda, 0xdb, 0xdf, 0xdb, 0xdf};
            static const int base[] = {0xd0, 0xd8, 0xd9, 0xe0, 0xe8, 0xe9, 0xf0, 0xf0, 0xe8, 0xe8};
            int f = rn(10), i = base[f] == 0xd9 || base[f] == 0xe9 ? 1 : rn(8);
            need(&s, 0); need(&s, i);
            if (chance(45)) set_st(&s, i, related80(st(&s, 0)));
            int unordered_quiet = base[f] == 0xe0 || base[f] == 0xe8 || base[f] == 0xe9;   /* FUCOM... */
            int comi = opc[f] == 0xdb || opc[f] == 0xdf;
            int inv = empty(&s, 0) || empty(&s, i) || cmp_invalid(k80(st(&s, 0)), unordered_quiet)
                      || cmp_invalid(k80(st(&s, i)), unordered_quiet);
            if (comi) {
                /* the SDM: FCOMI clears C1 (this CPU leaves it), and sets ZF PF CF on an
                   invalid compare only when IM is set (this CPU always does) */
                s.fsw_mask &= ~C1;
                if (inv && !(s.fcw & 1))
                    t->fmask &= ~(F_ZF | F_PF | F_CF);
            } else if (inv && !(s.fcw & 1) && !unordered_quiet) {
                s.fsw_mask &= ~(C0 | C2 | C3);
            }
            esc(&s, opc[f]);
            emit(t, base[f] == 0xd9 || base[f] == 0xe9 ? base[f] : base[f] + i);
        }
        x87_finish(&s);
    }
    return n;
}
