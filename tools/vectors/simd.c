/*
 * simd.c - test vectors for the MMX, SSE2 integer and SSSE3 instructions: the
 * vectors32 line extended with the MMX registers, the XMM registers and MXCSR
 * (README.md, "SIMD vectors").  It is also the runner (and main) of the
 * floating-point and x87 families of simdfp.c and x87.c (README.md, "SIMD
 * floating point and x87 vectors"), whose lines add the x87 state.
 *
 * This is a 64-bit program (build.sh builds it without -m32).  It runs the
 * instruction under test in 64-bit mode, which for these instructions is
 * the same operation as in 32-bit protected mode: no REX prefix is ever
 * used, so the operands are the same eight MMX/XMM registers and 32-bit
 * general registers (a 32-bit register result is zero-extended, and the
 * runner checks that every upper half stays zero).  Only the memory
 * operand is encoded differently: the native copy of a memory form gets an
 * address-size prefix 0x67, so the effective address is computed from the
 * same 32-bit registers with the same 32-bit wrap-around, and [disp32]
 * (mod 00, rm 101, RIP-relative in 64-bit mode) becomes the equivalent SIB
 * form [disp32 + no index] (rm 100, SIB 0x25).  The lines record the 32-bit
 * encoding and its length.  See README.md for why (this harness runs on
 * kernels without IA-32 emulation, too) and for the checks.
 *
 * The test building code (PRNG, edge values, windows, modrm_mem) is the one
 * of harness.c, compiled with -DVECTORS_NO_RUNNER.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include "simd.h"

#ifndef __x86_64__
#error "simd.c is a 64-bit program: build it with build.sh (no -m32)"
#endif

/* ---------------------------------------------------------------- state */

typedef struct {
    uint32_t r[8];
    uint32_t fl;
    uint8_t  w[2][WIN];
    uint64_t mm[8];
    uint64_t xmm[8][2];
    uint32_t mxcsr;
    int32_t  eipd;
    int      vec;
    /* x87 lines */
    uint16_t fcw, fsw, ftw;  /* ftw: the full tag word (FNSTENV) */
    uint64_t st_m[8];        /* physical registers */
    uint16_t st_e[8];
} SResult;

static uint64_t mm_fill(int i)
{
    uint64_t v = 0;
    for (int k = 0; k < 8; k++)
        v |= (uint64_t)(0xa0 + 8 * i + k) << (8 * k);
    return v;
}

static uint64_t xmm_fill(int i, int half)
{
    uint64_t v = 0;
    for (int k = 0; k < 8; k++)
        v |= (uint64_t)(0x10 * i + 8 * half + k) << (8 * k);
    return v;
}

void st_init(STest *s)
{
    t_init(&s->t);
    for (int i = 0; i < 8; i++) {
        s->mm[i] = mm_fill(i);
        s->xmm[i][0] = xmm_fill(i, 0);
        s->xmm[i][1] = xmm_fill(i, 1);
    }
    /* mostly the default; sometimes random status flags, masks, DAZ, RC, FZ
       (bits 15..0; never bit 17, AMD's misaligned-SSE mode) */
    s->mxcsr = chance(5) ? rnd() & 0xffff : MXCSR_DEFAULT;
    s->modrm_at = -1;
    s->expect = -1;
    s->x87 = 0;
}

/* ------------------------------------------------------------ values */

uint64_t r64(void)
{
    uint64_t hi = rnd();
    return hi << 32 | rnd();
}

/* an edge-biased element of w bits (8, 16, 32 or 64) */
uint64_t elem(int w)
{
    if (w < 64)
        return edge(w);
    switch (rn(12)) {
    case 0:  return 0;
    case 1:  return 1;
    case 2:  return ~0ull;
    case 3:  return 1ull << 63;
    case 4:  return ~0ull >> 1;
    case 5:  return rn(16);
    case 6:  return 0xffffffffull;
    case 7:  return 0x100000000ull;
    case 8:  return (uint64_t)edge(32) << 32 | edge(32);
    default: return r64();
    }
}

/* words (w 16) near the signed and unsigned byte limits, or dwords (w 32)
   near the signed word limits: the saturation edges of the packs */
static uint64_t near_limit(int w)
{
    static const uint16_t wv[] = {0x007e, 0x007f, 0x0080, 0x0081, 0x00fe, 0x00ff, 0x0100, 0x0101,
                                  0xff7f, 0xff80, 0xff81, 0xffff, 0x0000, 0x0001, 0x8000, 0x7fff};
    static const uint32_t dv[] = {0x00007ffe, 0x00007fff, 0x00008000, 0x00008001, 0xffff7fff,
                                  0xffff8000, 0xffff8001, 0xffffffff, 0x00000000, 0x0000ffff,
                                  0x00010000, 0x80000000, 0x7fffffff, 0x00000001};
    if (chance(40))
        return elem(w);
    return w == 16 ? wv[rn(sizeof wv / sizeof wv[0])] : dv[rn(sizeof dv / sizeof dv[0])];
}

uint64_t packed(int w, int vk)
{
    if (w > 64)
        w = 8;                               /* byte shifts of a whole register */
    switch (rn(12)) {
    case 0:  return 0;
    case 1:  return ~0ull;
    case 2:  case 3: return r64();
    default: {
        uint64_t v = 0, m = w == 64 ? ~0ull : (1ull << w) - 1;
        for (int s = 0; s < 64; s += w)
            v |= ((vk == V_LIMIT ? near_limit(w) : elem(w)) & m) << s;
        return v;
    }
    }
}

/* b with some of a's elements copied in (equal elements, zero differences) */
static uint64_t mix(uint64_t a, uint64_t b, int w)
{
    if (w > 64)
        w = 8;
    if (chance(70))
        return b;
    uint64_t m = w == 64 ? ~0ull : (1ull << w) - 1;
    for (int s = 0; s < 64; s += w)
        if (chance(50))
            b = (b & ~(m << s)) | (a & (m << s));
    return b;
}

/* a shift count: in range, at and past the element width, huge 64-bit */
static uint64_t count64(int w)
{
    switch (rn(16)) {
    case 0:  return 0;
    case 1:  return 1;
    case 2:  return w - 1;
    case 3:  return w;
    case 4:  return w + 1;
    case 5:  case 6: case 7: return rn(w);
    case 8:  return rn(2 * w + 2);
    case 9:  return 0xff;
    case 10: return 1ull << 32 | rn(w);
    case 11: return 1ull << 63;
    case 12: return ~0ull;
    case 13: return 0x10000 | rn(w);
    case 14: return (uint64_t)rn(w) | (uint64_t)(rnd() | 1) << 32;
    default: return r64();
    }
}

static uint8_t shift_imm(int w)
{
    if (w == 128) {                          /* PSRLDQ / PSLLDQ: a byte count */
        switch (rn(8)) {
        case 0:  return 16;
        case 1:  return 17;
        case 2:  return 0xff;
        case 3:  return rnd();
        default: return rn(16);
        }
    }
    switch (rn(12)) {
    case 0:  return 0;
    case 1:  return 1;
    case 2:  return w - 1;
    case 3:  return w;
    case 4:  return w + 1;
    case 5:  return 0x80;
    case 6:  return 0xff;
    case 7:  return rnd();
    default: return rn(w);
    }
}

/* ------------------------------------------------------- operands */

void set_mm(STest *s, int i, uint64_t v) { s->mm[i] = v; }
void set_xmm(STest *s, int i, uint64_t lo, uint64_t hi) { s->xmm[i][0] = lo; s->xmm[i][1] = hi; }

/* a SIMD register operand with a fresh value (x: XMM) */
static void simd_value(STest *s, int x, int i, int w, int vk)
{
    if (x)
        set_xmm(s, i, packed(w, vk), packed(w, vk));
    else
        set_mm(s, i, packed(w, vk));
}

/* a source register value related to destination d (x: XMM) */
static void simd_source(STest *s, int x, int i, int d, int w, int vk)
{
    if (x)
        set_xmm(s, i, mix(s->xmm[d][0], packed(w, vk), w), mix(s->xmm[d][1], packed(w, vk), w));
    else
        set_mm(s, i, mix(s->mm[d], packed(w, vk), w));
}

void put64(Test *t, int win, int off, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        t->w[win][off + i] = (uint8_t)(v >> (8 * i));
}

void maybe_seg(Test *t)
{
    static const uint8_t segs[3] = {0x26, 0x36, 0x3e};   /* ES SS DS */
    if (chance(5))
        emit(t, segs[rn(3)]);
}

/*
 * A memory operand of 'bytes' bytes for ModRM.reg 'reg'.  align 16: the
 * form needs a 16-byte aligned address; mostly aligned, sometimes not (then
 * #GP is expected).  Returns the window offset, *win the window.
 */
int mem_operand(STest *s, int reg, int bytes, int align, int *win)
{
    int off;
    if (align == 16) {
        if (chance(8)) {
            do off = rn(WIN - 16 + 1); while (off % 16 == 0);
            if (s->expect < 0)               /* LOCK: #UD comes first */
                s->expect = 13;
        } else {
            off = 16 * rn(4);
        }
    } else {
        off = rn(WIN - bytes + 1);
    }
    s->modrm_at = s->t.len;
    return modrm_mem(&s->t, reg, off, off, 0, 0, win);
}

/* the memory source: 'bytes' bytes of v (two quadwords) at the operand */
void mem_source(STest *s, int reg, int bytes, int align, const uint64_t v[2])
{
    int win, off = mem_operand(s, reg, bytes, align, &win);
    put64(&s->t, win, off, v[0], bytes < 8 ? bytes : 8);
    if (bytes > 8)
        put64(&s->t, win, off + 8, v[1], bytes - 8);
}

/* a general register source with an edge value (ESP keeps its value) */
void gpr_source(STest *s, int r)
{
    if (r != ESP)
        s->t.r[r] = chance(20) ? edge(16) | (rnd() & 0xffff0000u) : edge(32);
}

int pick_gpr_dst(void)
{
    int r;
    do r = rn(8); while (r == ESP && chance(80));
    return r;
}

/* ---------------------------------------------------------- op tables */

enum {
    K_BIN,       /* reg: SIMD destination; rm: SIMD source or memory */
    K_SHIFT,     /* the same, the source is a shift count */
    K_SHIMM,     /* 0F 71-73 /ext ib: rm is the register */
    K_MOVD_L,    /* 6E: reg SIMD, rm r32/m32 */
    K_MOVD_S,    /* 7E: rm r32/m32, reg SIMD */
    K_LOAD,      /* reg SIMD destination, rm SIMD source or memory (moves) */
    K_STORE,     /* rm SIMD destination or memory, reg SIMD source */
    K_Q2DQ,      /* F3 0F D6: reg XMM, rm MM */
    K_DQ2Q,      /* F2 0F D6: reg MM, rm XMM */
    K_SHUF,      /* reg SIMD, rm SIMD or memory, imm8 */
    K_PINSRW,    /* reg SIMD, rm r32 or m16, imm8 */
    K_PEXTRW,    /* reg r32, rm SIMD, imm8 */
    K_PMOVMSKB,  /* reg r32, rm SIMD */
    K_MASKMOV,   /* reg data, rm mask, stores to DS:EDI */
    K_EMMS,
    K_UD         /* an invalid encoding: #UD */
};

enum { M_ANY, M_REG, M_MEM };

typedef struct {
    uint8_t pfx, op;   /* mandatory prefix (0, 66, F3, F2), second opcode byte */
    uint8_t kind;
    uint8_t w;         /* element width of the values (128: byte shift) */
    uint8_t x;         /* the SIMD operands are XMM registers */
    uint8_t mem;       /* bytes of the memory operand */
    uint8_t align;     /* 16: the memory operand must be aligned */
    uint8_t form;      /* M_ANY, M_REG (register only), M_MEM (memory only) */
    int8_t  ext;       /* K_SHIMM and K_UD: ModRM.reg (-1 random) */
    uint8_t vk;        /* value kind */
    uint8_t imm;       /* K_UD: has an imm8 */
    uint8_t map;       /* 0: 0F xx; 0x38 / 0x3a: the three-byte maps 0F 38 xx, 0F 3A xx */
} Op;

/* MMX binary op on mm, mm/m64 */
#define MB(op, w)       {0, op, K_BIN, w, 0, 8, 0, M_ANY, 0, V_EDGE, 0, 0}
/* MMX binary op whose memory operand is m32 (the low unpacks) */
#define MB32(op, w)     {0, op, K_BIN, w, 0, 4, 0, M_ANY, 0, V_EDGE, 0, 0}
#define MBL(op, w)      {0, op, K_BIN, w, 0, 8, 0, M_ANY, 0, V_LIMIT, 0, 0}
/* SSE2 binary op on xmm, xmm/m128 (aligned) */
#define XB(op, w)       {0x66, op, K_BIN, w, 1, 16, 16, M_ANY, 0, V_EDGE, 0, 0}
#define XBL(op, w)      {0x66, op, K_BIN, w, 1, 16, 16, M_ANY, 0, V_LIMIT, 0, 0}
#define MSH(op, w)      {0, op, K_SHIFT, w, 0, 8, 0, M_ANY, 0, V_EDGE, 0, 0}
#define XSH(op, w)      {0x66, op, K_SHIFT, w, 1, 16, 16, M_ANY, 0, V_EDGE, 0, 0}
#define MSI(op, e, w)   {0, op, K_SHIMM, w, 0, 0, 0, M_REG, e, V_EDGE, 0, 0}
#define XSI(op, e, w)   {0x66, op, K_SHIMM, w, 1, 0, 0, M_REG, e, V_EDGE, 0, 0}
#define UD(p, op, e, form, imm) {p, op, K_UD, 8, 0, 8, 0, form, e, V_EDGE, imm, 0}

static const Op mmx_arith_ops[] = {
    MB(0xfc, 8), MB(0xfd, 16), MB(0xfe, 32),            /* PADDB PADDW PADDD   */
    MB(0xec, 8), MB(0xed, 16),                          /* PADDSB PADDSW       */
    MB(0xdc, 8), MB(0xdd, 16),                          /* PADDUSB PADDUSW     */
    MB(0xf8, 8), MB(0xf9, 16), MB(0xfa, 32),            /* PSUBB PSUBW PSUBD   */
    MB(0xe8, 8), MB(0xe9, 16),                          /* PSUBSB PSUBSW       */
    MB(0xd8, 8), MB(0xd9, 16),                          /* PSUBUSB PSUBUSW     */
};

static const Op mmx_cmp_logic_ops[] = {
    MB(0x74, 8), MB(0x75, 16), MB(0x76, 32),            /* PCMPEQB/W/D         */
    MB(0x64, 8), MB(0x65, 16), MB(0x66, 32),            /* PCMPGTB/W/D         */
    MB(0xdb, 64), MB(0xdf, 64), MB(0xeb, 64), MB(0xef, 64),   /* PAND PANDN POR PXOR */
};

static const Op mmx_mul_ops[] = {
    MB(0xd5, 16), MB(0xe5, 16), MB(0xf5, 16),           /* PMULLW PMULHW PMADDWD */
};

static const Op mmx_shift_ops[] = {
    MSH(0xd1, 16), MSH(0xd2, 32), MSH(0xd3, 64),        /* PSRLW/D/Q           */
    MSH(0xe1, 16), MSH(0xe2, 32),                       /* PSRAW/D             */
    MSH(0xf1, 16), MSH(0xf2, 32), MSH(0xf3, 64),        /* PSLLW/D/Q           */
    MSI(0x71, 2, 16), MSI(0x71, 4, 16), MSI(0x71, 6, 16),
    MSI(0x72, 2, 32), MSI(0x72, 4, 32), MSI(0x72, 6, 32),
    MSI(0x73, 2, 64), MSI(0x73, 6, 64),
};

static const Op mmx_shift_ud[] = {
    UD(0, 0x71, 0, M_REG, 1), UD(0, 0x71, 1, M_REG, 1), UD(0, 0x71, 3, M_REG, 1),
    UD(0, 0x71, 5, M_REG, 1), UD(0, 0x71, 7, M_REG, 1), UD(0, 0x72, 3, M_REG, 1),
    UD(0, 0x73, 3, M_REG, 1), UD(0, 0x73, 7, M_REG, 1),   /* PSRLDQ/PSLLDQ: XMM only */
    UD(0, 0x73, 4, M_REG, 1),
    UD(0, 0x71, 2, M_MEM, 1), UD(0, 0x72, 6, M_MEM, 1), UD(0, 0x73, 2, M_MEM, 1),
};

static const Op mmx_pack_ops[] = {
    MB32(0x60, 8), MB32(0x61, 16), MB32(0x62, 32),      /* PUNPCKLBW/WD/DQ m32 */
    MB(0x68, 8), MB(0x69, 16), MB(0x6a, 32),            /* PUNPCKHBW/WD/DQ     */
    MBL(0x63, 16), MBL(0x6b, 32), MBL(0x67, 16),        /* PACKSSWB PACKSSDW PACKUSWB */
};

static const Op mmx_pack_ud[] = {
    UD(0, 0x6c, -1, M_ANY, 0), UD(0, 0x6d, -1, M_ANY, 0),  /* PUNPCKxQDQ: XMM only */
};

static const Op mmx_move_ops[] = {
    {0, 0x6e, K_MOVD_L, 32, 0, 4, 0, M_ANY, 0, V_EDGE, 0, 0},
    {0, 0x7e, K_MOVD_S, 32, 0, 4, 0, M_ANY, 0, V_EDGE, 0, 0},
    {0, 0x6f, K_LOAD, 64, 0, 8, 0, M_ANY, 0, V_EDGE, 0, 0},
    {0, 0x7f, K_STORE, 64, 0, 8, 0, M_ANY, 0, V_EDGE, 0, 0},
    {0, 0x6e, K_MOVD_L, 32, 0, 4, 0, M_ANY, 0, V_EDGE, 0, 0},
    {0, 0x7e, K_MOVD_S, 32, 0, 4, 0, M_ANY, 0, V_EDGE, 0, 0},
    {0, 0x6f, K_LOAD, 64, 0, 8, 0, M_ANY, 0, V_EDGE, 0, 0},
    {0, 0x7f, K_STORE, 64, 0, 8, 0, M_ANY, 0, V_EDGE, 0, 0},
    {0, 0x77, K_EMMS, 64, 0, 0, 0, M_REG, 0, V_EDGE, 0, 0},
};

static const Op sse_mmxint_ops[] = {
    MB(0xe0, 8), MB(0xe3, 16),                          /* PAVGB PAVGW         */
    MB(0xda, 8), MB(0xde, 8),                           /* PMINUB PMAXUB       */
    MB(0xea, 16), MB(0xee, 16),                         /* PMINSW PMAXSW       */
    MB(0xf6, 8), MB(0xe4, 16),                          /* PSADBW PMULHUW      */
    {0, 0x70, K_SHUF, 16, 0, 8, 0, M_ANY, 0, V_EDGE, 0, 0},        /* PSHUFW   */
    {0, 0xc4, K_PINSRW, 16, 0, 2, 0, M_ANY, 0, V_EDGE, 0, 0},      /* PINSRW   */
    {0, 0xc5, K_PEXTRW, 16, 0, 0, 0, M_REG, 0, V_EDGE, 0, 0},      /* PEXTRW   */
    {0, 0xd7, K_PMOVMSKB, 8, 0, 0, 0, M_REG, 0, V_EDGE, 0, 0},     /* PMOVMSKB */
    {0, 0xe7, K_STORE, 64, 0, 8, 0, M_MEM, 0, V_EDGE, 0, 0},       /* MOVNTQ   */
    {0, 0xf7, K_MASKMOV, 8, 0, 8, 0, M_REG, 0, V_EDGE, 0, 0},      /* MASKMOVQ */
    MB(0xd4, 64), MB(0xfb, 64), MB(0xf4, 32),           /* PADDQ PSUBQ PMULUDQ */
};

static const Op sse_mmxint_ud[] = {
    UD(0, 0xc5, -1, M_MEM, 1), UD(0, 0xd7, -1, M_MEM, 0), UD(0, 0xe7, -1, M_REG, 0),
};

static const Op sse2_int_ops[] = {
    /* arithmetic */
    XB(0xfc, 8), XB(0xfd, 16), XB(0xfe, 32), XB(0xd4, 64),
    XB(0xec, 8), XB(0xed, 16), XB(0xdc, 8), XB(0xdd, 16),
    XB(0xf8, 8), XB(0xf9, 16), XB(0xfa, 32), XB(0xfb, 64),
    XB(0xe8, 8), XB(0xe9, 16), XB(0xd8, 8), XB(0xd9, 16),
    /* compares and logic */
    XB(0x74, 8), XB(0x75, 16), XB(0x76, 32), XB(0x64, 8), XB(0x65, 16), XB(0x66, 32),
    XB(0xdb, 64), XB(0xdf, 64), XB(0xeb, 64), XB(0xef, 64),
    /* multiplies, averages, min/max, SAD */
    XB(0xd5, 16), XB(0xe5, 16), XB(0xe4, 16), XB(0xf5, 16), XB(0xf4, 32),
    XB(0xe0, 8), XB(0xe3, 16), XB(0xda, 8), XB(0xde, 8), XB(0xea, 16), XB(0xee, 16), XB(0xf6, 8),
    /* shifts */
    XSH(0xd1, 16), XSH(0xd2, 32), XSH(0xd3, 64), XSH(0xe1, 16), XSH(0xe2, 32),
    XSH(0xf1, 16), XSH(0xf2, 32), XSH(0xf3, 64),
    XSI(0x71, 2, 16), XSI(0x71, 4, 16), XSI(0x71, 6, 16),
    XSI(0x72, 2, 32), XSI(0x72, 4, 32), XSI(0x72, 6, 32),
    XSI(0x73, 2, 64), XSI(0x73, 6, 64), XSI(0x73, 3, 128), XSI(0x73, 7, 128),
    /* unpacks and packs */
    XB(0x60, 8), XB(0x61, 16), XB(0x62, 32), XB(0x6c, 64),
    XB(0x68, 8), XB(0x69, 16), XB(0x6a, 32), XB(0x6d, 64),
    XBL(0x63, 16), XBL(0x6b, 32), XBL(0x67, 16),
    /* moves */
    {0x66, 0x6e, K_MOVD_L, 32, 1, 4, 0, M_ANY, 0, V_EDGE, 0, 0},     /* MOVD xmm, r/m32  */
    {0x66, 0x7e, K_MOVD_S, 32, 1, 4, 0, M_ANY, 0, V_EDGE, 0, 0},     /* MOVD r/m32, xmm  */
    {0x66, 0x6f, K_LOAD, 64, 1, 16, 16, M_ANY, 0, V_EDGE, 0, 0},     /* MOVDQA load      */
    {0x66, 0x7f, K_STORE, 64, 1, 16, 16, M_ANY, 0, V_EDGE, 0, 0},    /* MOVDQA store     */
    {0xf3, 0x6f, K_LOAD, 64, 1, 16, 0, M_ANY, 0, V_EDGE, 0, 0},      /* MOVDQU load      */
    {0xf3, 0x7f, K_STORE, 64, 1, 16, 0, M_ANY, 0, V_EDGE, 0, 0},     /* MOVDQU store     */
    {0xf3, 0x7e, K_LOAD, 64, 1, 8, 0, M_ANY, 0, V_EDGE, 0, 0},       /* MOVQ xmm, xmm/m64 */
    {0x66, 0xd6, K_STORE, 64, 1, 8, 0, M_ANY, 0, V_EDGE, 0, 0},      /* MOVQ xmm/m64, xmm */
    {0xf3, 0xd6, K_Q2DQ, 64, 1, 0, 0, M_REG, 0, V_EDGE, 0, 0},       /* MOVQ2DQ          */
    {0xf2, 0xd6, K_DQ2Q, 64, 1, 0, 0, M_REG, 0, V_EDGE, 0, 0},       /* MOVDQ2Q          */
    {0x66, 0xe7, K_STORE, 64, 1, 16, 16, M_MEM, 0, V_EDGE, 0, 0},    /* MOVNTDQ          */
    {0x66, 0xf7, K_MASKMOV, 8, 1, 16, 0, M_REG, 0, V_EDGE, 0, 0},    /* MASKMOVDQU       */
    /* shuffles, word insert/extract, byte mask */
    {0x66, 0x70, K_SHUF, 32, 1, 16, 16, M_ANY, 0, V_EDGE, 0, 0},     /* PSHUFD  */
    {0xf3, 0x70, K_SHUF, 16, 1, 16, 16, M_ANY, 0, V_EDGE, 0, 0},     /* PSHUFHW */
    {0xf2, 0x70, K_SHUF, 16, 1, 16, 16, M_ANY, 0, V_EDGE, 0, 0},     /* PSHUFLW */
    {0x66, 0xc4, K_PINSRW, 16, 1, 2, 0, M_ANY, 0, V_EDGE, 0, 0},     /* PINSRW  */
    {0x66, 0xc5, K_PEXTRW, 16, 1, 0, 0, M_REG, 0, V_EDGE, 0, 0},     /* PEXTRW  */
    {0x66, 0xd7, K_PMOVMSKB, 8, 1, 0, 0, M_REG, 0, V_EDGE, 0, 0},    /* PMOVMSKB */
};

/* SSSE3: 0F 38 xx on mm, mm/m64 and (66) xmm, xmm/m128; 0F 3A 0F PALIGNR */
#define SB(op, w, vk)   {0, op, K_BIN, w, 0, 8, 0, M_ANY, 0, vk, 0, 0x38}
#define SX(op, w, vk)   {0x66, op, K_BIN, w, 1, 16, 16, M_ANY, 0, vk, 0, 0x38}
#define SBX(op, w, vk)  SB(op, w, vk), SX(op, w, vk)

static const Op ssse3_ops[] = {
    SBX(0x00, 8, V_EDGE),                                   /* PSHUFB    */
    SBX(0x01, 16, V_EDGE), SBX(0x02, 32, V_EDGE),           /* PHADDW/D  */
    SBX(0x03, 16, V_LIMIT),                                 /* PHADDSW   */
    SBX(0x04, 8, V_EDGE),                                   /* PMADDUBSW */
    SBX(0x05, 16, V_EDGE), SBX(0x06, 32, V_EDGE),           /* PHSUBW/D  */
    SBX(0x07, 16, V_LIMIT),                                 /* PHSUBSW   */
    SBX(0x08, 8, V_EDGE), SBX(0x09, 16, V_EDGE), SBX(0x0a, 32, V_EDGE),  /* PSIGNB/W/D */
    SBX(0x0b, 16, V_EDGE),                                  /* PMULHRSW  */
    SBX(0x1c, 8, V_EDGE), SBX(0x1d, 16, V_EDGE), SBX(0x1e, 32, V_EDGE),  /* PABSB/W/D */
    {0, 0x0f, K_SHUF, 8, 0, 8, 0, M_ANY, 0, V_EDGE, 0, 0x3a},           /* PALIGNR mm  */
    {0x66, 0x0f, K_SHUF, 8, 1, 16, 16, M_ANY, 0, V_EDGE, 0, 0x3a},      /* PALIGNR xmm */
    {0, 0x0f, K_SHUF, 8, 0, 8, 0, M_ANY, 0, V_EDGE, 0, 0x3a},
    {0x66, 0x0f, K_SHUF, 8, 1, 16, 16, M_ANY, 0, V_EDGE, 0, 0x3a},
};

static const Op sse2_int_ud[] = {
    UD(0x66, 0x71, 0, M_REG, 1), UD(0x66, 0x72, 3, M_REG, 1), UD(0x66, 0x73, 4, M_REG, 1),
    UD(0x66, 0x73, 3, M_MEM, 1), UD(0x66, 0xc5, -1, M_MEM, 1), UD(0x66, 0xd7, -1, M_MEM, 0),
    UD(0x66, 0xe7, -1, M_REG, 0), UD(0xf3, 0xd6, -1, M_MEM, 0), UD(0xf2, 0xd6, -1, M_MEM, 0),
};

/* ----------------------------------------------------------- generator */

/*
 * The mandatory prefix, sometimes (variant) with a redundant 66 or an
 * overridden F2/F3 next to it: 66 66; 66 F3, F3 66, F2 F3 (F3 counts);
 * 66 F2, F2 66, F3 F2 (F2 counts).  Of F2 and F3 the last one counts, and
 * either outranks 66.
 */
void emit_pfx(Test *t, int pfx, int variant)
{
    if (!pfx)
        return;
    if (!variant) {
        emit(t, pfx);
        return;
    }
    int other = pfx == 0xf3 ? 0xf2 : 0xf3;
    switch (pfx == 0x66 ? 0 : rn(3)) {
    case 0:  emit(t, 0x66); emit(t, pfx); break;
    case 1:  emit(t, pfx); emit(t, 0x66); break;
    default: emit(t, other); emit(t, pfx); break;
    }
}

static int prefix_variant;    /* the next gen_one: a redundant prefix (emit_pfx) */

static void gen_one(STest *s, const Op *o, int lock)
{
    Test *t = &s->t;
    int x = o->x, w = o->w, vk = o->vk;
    int mem = o->form == M_MEM ? 1 : o->form == M_REG ? 0 : chance(40);
    int reg = rn(8), rm = rn(8);
    uint64_t v[2];

    if (lock) {
        emit(t, 0xf0);
        s->expect = 6;
    }
    if (mem || o->kind == K_MASKMOV)
        maybe_seg(t);
    emit_pfx(t, o->pfx, prefix_variant);
    prefix_variant = 0;
    emit(t, 0x0f);
    if (o->map)
        emit(t, o->map);
    emit(t, o->op);

    switch (o->kind) {
    case K_BIN:
    case K_SHIFT:
        simd_value(s, x, reg, w, vk);
        if (o->kind == K_SHIFT) {
            v[0] = count64(w);
            v[1] = chance(50) ? 0 : r64();
        } else if (x) {
            v[0] = mix(s->xmm[reg][0], packed(w, vk), w);
            v[1] = mix(s->xmm[reg][1], packed(w, vk), w);
        } else {
            v[0] = mix(s->mm[reg], packed(w, vk), w);
            v[1] = 0;
        }
        if (mem) {
            mem_source(s, reg, o->mem, o->align, v);
        } else {
            if (rm != reg) {                 /* rm == reg: the source is the destination */
                if (x) set_xmm(s, rm, v[0], v[1]); else set_mm(s, rm, v[0]);
            }
            modrm_reg(t, reg, rm);
        }
        break;
    case K_SHIMM:
        simd_value(s, x, rm, w, vk);
        modrm_reg(t, o->ext, rm);
        emit(t, shift_imm(w));
        break;
    case K_MOVD_L:
        simd_value(s, x, reg, 64, V_EDGE);
        if (mem) {
            v[0] = elem(32);
            mem_source(s, reg, 4, 0, v);
        } else {
            gpr_source(s, rm);
            modrm_reg(t, reg, rm);
        }
        break;
    case K_MOVD_S:
        simd_value(s, x, reg, 32, V_EDGE);
        if (mem) {
            int win;
            mem_operand(s, reg, 4, 0, &win);
        } else {
            rm = pick_gpr_dst();
            modrm_reg(t, reg, rm);
        }
        break;
    case K_LOAD:
        simd_value(s, x, reg, 64, V_EDGE);
        if (mem) {
            v[0] = packed(64, V_EDGE);
            v[1] = packed(64, V_EDGE);
            mem_source(s, reg, o->mem, o->align, v);
        } else {
            simd_value(s, x, rm, 64, V_EDGE);
            modrm_reg(t, reg, rm);
        }
        break;
    case K_STORE:
        simd_value(s, x, reg, 64, V_EDGE);
        if (mem) {
            int win;
            mem_operand(s, reg, o->mem, o->align, &win);
        } else {
            simd_value(s, x, rm, 64, V_EDGE);
            modrm_reg(t, reg, rm);
        }
        break;
    case K_Q2DQ:                                 /* xmm(reg) <- mm(rm) */
        simd_value(s, 1, reg, 64, V_EDGE);
        simd_value(s, 0, rm, 64, V_EDGE);
        modrm_reg(t, reg, rm);
        break;
    case K_DQ2Q:                                 /* mm(reg) <- xmm(rm) */
        simd_value(s, 0, reg, 64, V_EDGE);
        simd_value(s, 1, rm, 64, V_EDGE);
        modrm_reg(t, reg, rm);
        break;
    case K_SHUF: {
        static const uint8_t common[] = {0x1b, 0xe4, 0x00, 0xff, 0x4e, 0xb1};
        simd_value(s, x, reg, w, vk);
        if (mem) {
            v[0] = packed(w, vk);
            v[1] = packed(w, vk);
            mem_source(s, reg, o->mem, o->align, v);
        } else {
            if (rm != reg) simd_source(s, x, rm, reg, w, vk);
            modrm_reg(t, reg, rm);
        }
        if (o->map == 0x3a)                  /* PALIGNR: a byte count */
            emit(t, chance(80) ? rn(2 * (x ? 16 : 8) + 2) : rnd() & 0xff);
        else
            emit(t, chance(25) ? common[rn(sizeof common)] : rnd() & 0xff);
        break;
    }
    case K_PINSRW:
        simd_value(s, x, reg, 16, V_EDGE);
        if (mem) {
            v[0] = edge(16);
            mem_source(s, reg, 2, 0, v);
        } else {
            gpr_source(s, rm);
            modrm_reg(t, reg, rm);
        }
        emit(t, chance(70) ? rn(x ? 8 : 4) : rnd() & 0xff);
        break;
    case K_PEXTRW:
        reg = pick_gpr_dst();
        simd_value(s, x, rm, 16, V_EDGE);
        modrm_reg(t, reg, rm);
        emit(t, chance(70) ? rn(x ? 8 : 4) : rnd() & 0xff);
        break;
    case K_PMOVMSKB:
        reg = pick_gpr_dst();
        simd_value(s, x, rm, 8, V_EDGE);
        modrm_reg(t, reg, rm);
        break;
    case K_MASKMOV: {
        int n = x ? 16 : 8;
        int win = chance(20) ? W_STACK : W_DATA;
        rand_window(t, win);
        t->r[EDI] = (win == W_STACK ? STACK_ADDR : DATA_ADDR) + rn(WIN - n + 1);
        t->pinned |= 1u << EDI;
        simd_value(s, x, reg, 64, V_EDGE);
        if (rm == reg && chance(80))
            rm = (rm + 1 + rn(7)) & 7;
        if (rm != reg) {
            /* the mask: bytes 00 / 80 / ff / 7f / 01 / c3 / random, or none set */
            int none = chance(8);
            for (int h = 0; h < (x ? 2 : 1); h++) {
                static const uint8_t mb[] = {0x00, 0x80, 0xff, 0x7f, 0x01, 0xc3};
                uint64_t m = 0;
                for (int k = 0; k < 8; k++) {
                    uint8_t b = chance(50) ? mb[rn(sizeof mb)] : (uint8_t)rnd();
                    m |= (uint64_t)(none ? b & 0x7f : b) << (8 * k);
                }
                if (x) s->xmm[rm][h] = m; else s->mm[rm] = m;
            }
        }
        modrm_reg(t, reg, rm);
        break;
    }
    case K_EMMS:
        simd_value(s, 0, rn(8), 64, V_EDGE);
        break;
    case K_UD:
        s->expect = 6;
        if (o->ext >= 0) reg = o->ext;
        simd_value(s, o->pfx == 0x66, rm, 64, V_EDGE);
        if (mem) {
            int win;
            mem_operand(s, reg, 16, 0, &win);
        } else {
            modrm_reg(t, reg, rm);
        }
        if (o->imm) emit(t, rnd() & 0xff);
        break;
    }
}

/* --------------------------------------------------------------- runner */

extern uint8_t simd_fx_in[512], simd_fx_out[512], simd_fx_host[512], simd_env_out[28];
extern uint64_t simd_regs[9];
extern uint32_t simd_esp;
extern void run_simd(void);
extern char simd_resume[];

static volatile struct {
    uint64_t r[8], fl, rip, addr;
    int trapno, sig, fxok;
    uint8_t fx[512];
} cap;

static void handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;
    cap.r[EAX] = g[REG_RAX]; cap.r[ECX] = g[REG_RCX];
    cap.r[EDX] = g[REG_RDX]; cap.r[EBX] = g[REG_RBX];
    cap.r[ESP] = g[REG_RSP]; cap.r[EBP] = g[REG_RBP];
    cap.r[ESI] = g[REG_RSI]; cap.r[EDI] = g[REG_RDI];
    cap.fl = g[REG_EFL];
    cap.rip = g[REG_RIP];
    cap.trapno = g[REG_TRAPNO];
    cap.sig = sig;
    cap.addr = (uint64_t)(uintptr_t)si->si_addr;
    cap.fxok = uc->uc_mcontext.fpregs != NULL;
    if (cap.fxok)
        memcpy((void *)cap.fx, uc->uc_mcontext.fpregs, 512);
    g[REG_RIP] = (greg_t)(uintptr_t)simd_resume;
    g[REG_EFL] &= ~(0x100 | 0x400 | 0x4000 | 0x40000);   /* TF DF NT AC */
}

/* the 64-bit encoding that performs the 32-bit instruction (see the top) */
static int native_code(const STest *s, uint8_t *out)
{
    const Test *t = &s->t;
    int n = 0, at = s->modrm_at;
    if (at < 0) {
        memcpy(out, t->code, t->len);
        return t->len;
    }
    out[n++] = 0x67;
    memcpy(out + n, t->code, at);
    n += at;
    uint8_t m = t->code[at];
    if ((m & 0xc7) == 0x05) {                /* [disp32] -> SIB, no base, no index */
        out[n++] = (m & 0x38) | 4;
        out[n++] = 0x25;
    } else {
        out[n++] = m;
    }
    memcpy(out + n, t->code + at + 1, t->len - at - 1);
    return n + t->len - at - 1;
}

static uint64_t ld64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t ld32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static const char *run_once(const STest *s, SResult *res, uint32_t seed)
{
    const Test *t = &s->t;
    uint8_t *code = (uint8_t *)CODE_ADDR, *data = (uint8_t *)DATA_ADDR,
            *stack = (uint8_t *)STACK_ADDR;
    uint8_t native[24];
    int nlen = native_code(s, native);
    memset(res, 0, sizeof *res);             /* padding too: the two runs are compared with memcmp */
    memset(code, 0xcc, 4096);
    memcpy(code, native, nlen);
    fill_page(data, seed);
    fill_page(stack, ~seed);
    memcpy(data, t->w[W_DATA], WIN);
    memcpy(stack, t->w[W_STACK], WIN);

    /* FXRSTOR image: FCW 037F, FSW 0 (TOP 0), all registers valid (MMX state);
       an x87 line has its own FCW, FSW (with TOP), tags and registers.  The
       ST-area slot i holds ST(i), physical register (TOP + i) & 7. */
    memset(simd_fx_in, 0, 512);
    memcpy(simd_fx_in + 24, &s->mxcsr, 4);
    if (s->x87) {
        int top = s->fsw >> 11 & 7;
        memcpy(simd_fx_in, &s->fcw, 2);
        memcpy(simd_fx_in + 2, &s->fsw, 2);
        simd_fx_in[4] = s->ftag;
        for (int i = 0; i < 8; i++) {
            int p = (top + i) & 7;
            memcpy(simd_fx_in + 32 + 16 * i, &s->st_m[p], 8);
            memcpy(simd_fx_in + 40 + 16 * i, &s->st_e[p], 2);
        }
    } else {
        simd_fx_in[0] = 0x7f; simd_fx_in[1] = 0x03;
        simd_fx_in[4] = 0xff;
        for (int i = 0; i < 8; i++) {
            memcpy(simd_fx_in + 32 + 16 * i, &s->mm[i], 8);
            simd_fx_in[40 + 16 * i] = 0xff;      /* exponent all ones, as MMX writes it */
            simd_fx_in[41 + 16 * i] = 0xff;
        }
    }
    for (int i = 0; i < 8; i++) {
        memcpy(simd_fx_in + 160 + 16 * i, &s->xmm[i][0], 8);
        memcpy(simd_fx_in + 168 + 16 * i, &s->xmm[i][1], 8);
    }
    simd_regs[0] = t->r[EDI]; simd_regs[1] = t->r[ESI];
    simd_regs[2] = t->r[EBP]; simd_regs[3] = 0;
    simd_regs[4] = t->r[EBX]; simd_regs[5] = t->r[EDX];
    simd_regs[6] = t->r[ECX]; simd_regs[7] = t->r[EAX];
    simd_regs[8] = t->fl;
    simd_esp = t->r[ESP];
    cap.sig = 0;
    run_simd();

    for (int i = 0; i < 8; i++) {
        if (cap.r[i] >> 32)
            return "a register's upper half is set";
        res->r[i] = (uint32_t)cap.r[i];
    }
    res->fl = (uint32_t)cap.fl & ~0x10000u;  /* RF: set by the capturing fault */
    memcpy(res->w[W_DATA], data, WIN);
    memcpy(res->w[W_STACK], stack, WIN);
    if (!check_page(data, seed) || !check_page(stack, ~seed))
        return "write outside the windows";

    const uint8_t *fx = simd_fx_out;
    if (!s->x87 && (fx[3] >> 3 & 7) != 0)
        return "x87 TOP is not 0 after the instruction";
    if (!cap.fxok || memcmp((const void *)cap.fx, fx, 8) ||
        memcmp((const uint8_t *)cap.fx + 24, fx + 24, 4) ||
        memcmp((const uint8_t *)cap.fx + 32, fx + 32, 288 - 32))
        return "FXSAVE after sigreturn disagrees with the signal frame's FP state";
    int top = fx[3] >> 3 & 7;
    for (int i = 0; i < 8; i++) {
        int slot = (i - top) & 7;            /* physical register i is ST((i - TOP) & 7) */
        res->mm[i] = ld64(fx + 32 + 16 * slot);
        res->st_m[i] = res->mm[i];
        memcpy(&res->st_e[i], fx + 40 + 16 * slot, 2);
        res->xmm[i][0] = ld64(fx + 160 + 16 * i);
        res->xmm[i][1] = ld64(fx + 168 + 16 * i);
    }
    res->mxcsr = ld32(fx + 24);
    memcpy(&res->fcw, fx, 2);
    memcpy(&res->fsw, fx + 2, 2);
    memcpy(&res->ftw, simd_env_out + 8, 2);
    if (s->x87) {
        uint16_t ecw, esw;
        memcpy(&ecw, simd_env_out, 2);
        memcpy(&esw, simd_env_out + 4, 2);
        if (ecw != res->fcw || esw != res->fsw)
            return "FNSTENV disagrees with FXSAVE";
        for (int p = 0; p < 8; p++)
            if (((res->ftw >> 2 * p & 3) == 3) != !(fx[4] >> p & 1))
                return "FNSTENV tag word disagrees with the abridged tag byte";
    }

    int64_t d = (int64_t)cap.rip - CODE_ADDR;
    if (cap.sig == SIGTRAP && cap.trapno == 3) {
        if (d - 1 != nlen)
            return "did not fall through to the next instruction";
        res->vec = -1;
        res->eipd = t->len;
    } else if ((cap.sig == SIGSEGV && cap.trapno == 13) ||
               (cap.sig == SIGILL && cap.trapno == 6) ||
               (cap.sig == SIGFPE && cap.trapno == 19)) {
        if (d != 0)
            return "fault not at the instruction";
        res->vec = cap.trapno;
        res->eipd = 0;
    } else {
        static char msg[128];
        snprintf(msg, sizeof msg, "unexpected signal %d trapno %d rip %llx addr %llx",
                 cap.sig, cap.trapno, (unsigned long long)cap.rip, (unsigned long long)cap.addr);
        return msg;
    }
    return NULL;
}

static void hexs(const uint8_t *p, int n)
{
    static const char digits[] = "0123456789abcdef";
    char buf[2 * 64 + 1];
    for (int i = 0; i < n; i++) {
        buf[2 * i] = digits[p[i] >> 4];
        buf[2 * i + 1] = digits[p[i] & 15];
    }
    buf[2 * n] = 0;
    fputs(buf, stdout);
}

static void print_state(const uint32_t *r, uint32_t fl, const uint8_t w[2][WIN])
{
    for (int i = 0; i < 8; i++)
        printf(" %08x", r[i]);
    printf(" %08x ", fl);
    hexs(w[W_DATA], WIN);
    putchar(' ');
    hexs(w[W_STACK], WIN);
}

static void print_simd(const uint64_t mm[8], const uint64_t xmm[8][2], uint32_t mxcsr)
{
    for (int i = 0; i < 8; i++)
        printf(" %016llx", (unsigned long long)mm[i]);
    for (int i = 0; i < 8; i++)
        printf(" %016llx%016llx", (unsigned long long)xmm[i][1], (unsigned long long)xmm[i][0]);
    printf(" %08x", mxcsr);
}

/* the full tag word of an x87 state, as FNSTENV computes it from the contents:
   00 valid, 01 zero, 10 special (NaN, infinity, denormal, pseudo-denormal,
   unnormal, the unsupported formats), 11 empty */
static uint16_t full_tag(uint8_t ftag, const uint64_t m[8], const uint16_t e[8])
{
    uint16_t tw = 0;
    for (int p = 0; p < 8; p++) {
        int x = e[p] & 0x7fff, tag;
        if (!(ftag >> p & 1)) tag = 3;
        else if (x == 0x7fff) tag = 2;
        else if (x == 0) tag = m[p] ? 2 : 1;
        else tag = m[p] >> 63 ? 0 : 2;
        tw |= tag << 2 * p;
    }
    return tw;
}

static void print_x87(uint16_t fcw, uint16_t fsw, uint16_t ftw, const uint64_t m[8], const uint16_t e[8])
{
    printf(" %04x %04x %04x", fcw, fsw, ftw);
    for (int p = 0; p < 8; p++)
        printf(" %04x%016llx", e[p], (unsigned long long)m[p]);
}

static void print_signed(int32_t v)
{
    if (v < 0) printf(" -%x", (uint32_t)-(int64_t)v);
    else printf(" %x", (uint32_t)v);
}

static void fail(const STest *s, const char *why)
{
    uint8_t native[24];
    int n = native_code(s, native);
    fprintf(stderr, "%s\n  code:", why);
    for (int i = 0; i < s->t.len; i++) fprintf(stderr, " %02x", s->t.code[i]);
    fprintf(stderr, "\n  native:");
    for (int i = 0; i < n; i++) fprintf(stderr, " %02x", native[i]);
    fprintf(stderr, "\n  regs:");
    for (int i = 0; i < 8; i++) fprintf(stderr, " %08x", s->t.r[i]);
    fprintf(stderr, " fl %08x\n", s->t.fl);
    exit(3);
}

void run_and_print_simd(STest *s)
{
    SResult a, b;
    const char *err;
    Test *t = &s->t;
    if (t->r[ESP] < STACK_ADDR || t->r[ESP] > STACK_ADDR + WIN)
        fail(s, "initial ESP outside the stack window");
    if ((err = run_once(s, &a, 0x35)) || (err = run_once(s, &b, 0xa6)))
        fail(s, err);
    if (memcmp(&a, &b, sizeof a))
        fail(s, "result depends on memory outside the windows");
    if (a.vec != s->expect && !(s->expect == EXPECT_ANY_XM && (a.vec == -1 || a.vec == 19))) {
        static char msg[64];
        snprintf(msg, sizeof msg, "vector %d, expected %d", a.vec, s->expect);
        fail(s, msg);
    }
    /* every compared bit is defined: full masks (see README.md); the x87
       compares set their own EFLAGS mask (README.md, "What to compare") */
    if (!s->x87)
        t->fmask = F_ALL;
    t->rmask = 0xff;
    hexs(t->code, t->len);
    print_state(t->r, t->fl, t->w);
    print_state(a.r, a.fl, a.w);
    print_signed(a.eipd);
    print_signed(a.vec);
    printf(" %08x %02x", t->fmask, t->rmask);
    print_simd(s->mm, s->xmm, s->mxcsr);
    print_simd(a.mm, a.xmm, a.mxcsr);
    if (s->x87) {
        print_x87(s->fcw, s->fsw, full_tag(s->ftag, s->st_m, s->st_e), s->st_m, s->st_e);
        print_x87(a.fcw, a.fsw, a.ftw, a.st_m, a.st_e);
        printf(" %04x %02x", s->fsw_mask, s->st_mask);
    }
    putchar('\n');
}

/* ------------------------------------------------------------ families */

/* each test: an op of 'ops'; ud_pct % of the tests are #UD: a LOCK prefix
   on one of 'ops', or one of the invalid encodings 'ud'; pfx_pct % have a
   redundant prefix next to their mandatory one (emit_pfx) */
static int gen_family(int n, const Op *ops, int nops, const Op *ud, int nud, int ud_pct, int pfx_pct)
{
    for (int i = 0; i < n; i++) {
        STest s;
        st_init(&s);
        if (pfx_pct && chance(pfx_pct)) {
            const Op *o;
            do o = &ops[rn(nops)]; while (!o->pfx || (o->pfx == 0x66 && chance(90)));
            prefix_variant = 1;
            gen_one(&s, o, 0);
        } else if (chance(ud_pct)) {
            if (nud && chance(70))
                gen_one(&s, &ud[rn(nud)], 0);
            else
                gen_one(&s, &ops[rn(nops)], 1);
        } else {
            gen_one(&s, &ops[rn(nops)], 0);
        }
        run_and_print_simd(&s);
    }
    return n;
}

static int fam_mmx_arith(int n) { return gen_family(n, mmx_arith_ops, N(mmx_arith_ops), NULL, 0, 1, 0); }
static int fam_mmx_cmp_logic(int n) { return gen_family(n, mmx_cmp_logic_ops, N(mmx_cmp_logic_ops), NULL, 0, 1, 0); }
static int fam_mmx_mul(int n) { return gen_family(n, mmx_mul_ops, N(mmx_mul_ops), NULL, 0, 1, 0); }
static int fam_mmx_shift(int n)
{
    return gen_family(n, mmx_shift_ops, N(mmx_shift_ops), mmx_shift_ud, N(mmx_shift_ud), 4, 0);
}
static int fam_mmx_pack(int n)
{
    return gen_family(n, mmx_pack_ops, N(mmx_pack_ops), mmx_pack_ud, N(mmx_pack_ud), 3, 0);
}
static int fam_mmx_move(int n) { return gen_family(n, mmx_move_ops, N(mmx_move_ops), NULL, 0, 1, 0); }
static int fam_sse_mmxint(int n)
{
    return gen_family(n, sse_mmxint_ops, N(sse_mmxint_ops), sse_mmxint_ud, N(sse_mmxint_ud), 3, 0);
}
static int fam_sse2_int(int n)
{
    return gen_family(n, sse2_int_ops, N(sse2_int_ops), sse2_int_ud, N(sse2_int_ud), 3, 3);
}

static int fam_ssse3(int n) { return gen_family(n, ssse3_ops, N(ssse3_ops), NULL, 0, 1, 2); }

static const struct sfamily { const char *name; family_fn fn; int count; } sfamilies[] = {
    {"mmx_arith", fam_mmx_arith, 1000},
    {"mmx_cmp_logic", fam_mmx_cmp_logic, 800},
    {"mmx_mul", fam_mmx_mul, 600},
    {"mmx_shift", fam_mmx_shift, 1000},
    {"mmx_pack", fam_mmx_pack, 800},
    {"mmx_move", fam_mmx_move, 800},
    {"sse_mmxint", fam_sse_mmxint, 1200},
    {"sse2_int", fam_sse2_int, 3000},
    {"ssse3", fam_ssse3, 1500},
    {"sse_arith", fam_sse_arith, 1500},
    {"sse_cmp", fam_sse_cmp, 1200},
    {"sse_cvt", fam_sse_cvt, 1500},
    {"sse_move", fam_sse_move, 1500},
    {"sse3", fam_sse3, 1000},
    {"ldst_mxcsr", fam_ldst_mxcsr, 400},
    {"x87_arith", fam_x87_arith, 1500},
    {"x87_ldst", fam_x87_ldst, 1500},
    {"x87_misc", fam_x87_misc, 1200},
    {"x87_cmp", fam_x87_cmp, 1000},
    {NULL, NULL, 0},
};

/* ------------------------------------------------------------------ main */

static void setup(void)
{
    struct { uint32_t addr; int prot; } maps[3] = {
        {CODE_ADDR, PROT_READ | PROT_WRITE | PROT_EXEC},
        {DATA_ADDR, PROT_READ | PROT_WRITE},
        {STACK_ADDR, PROT_READ | PROT_WRITE},
    };
    for (int i = 0; i < 3; i++) {
        void *p = mmap((void *)(uintptr_t)maps[i].addr, 4096, maps[i].prot,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (p != (void *)(uintptr_t)maps[i].addr) {
            fprintf(stderr, "cannot map page at %08x\n", maps[i].addr);
            exit(1);
        }
    }
    static uint8_t altstack[65536];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    if (sigaltstack(&ss, NULL)) { perror("sigaltstack"); exit(1); }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGTRAP, SIGSEGV, SIGFPE, SIGILL, SIGBUS};
    for (int i = 0; i < 5; i++)
        if (sigaction(sigs[i], &sa, NULL)) { perror("sigaction"); exit(1); }
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--list")) {
        for (int i = 0; sfamilies[i].name; i++)
            printf("%s %d\n", sfamilies[i].name, sfamilies[i].count);
        return argc < 2;
    }
    for (int i = 0; sfamilies[i].name; i++) {
        if (strcmp(sfamilies[i].name, argv[1]))
            continue;
        int n = argc > 2 ? atoi(argv[2]) : sfamilies[i].count;
        setup();
        seed_family(sfamilies[i].name);
        printf("# jvisor vectorsSimd family %s: %d tests, format in tools/vectors/README.md\n",
               sfamilies[i].name, n);
        printf("# code EAX ECX EDX EBX ESP EBP ESI EDI EFLAGS DATA STACK "
               "EAX' ECX' EDX' EBX' ESP' EBP' ESI' EDI' EFLAGS' DATA' STACK' "
               "EIPDELTA VECTOR FLAGMASK REGMASK MM0..MM7 XMM0..XMM7 MXCSR "
               "MM0'..MM7' XMM0'..XMM7' MXCSR'\n");
        sfamilies[i].fn(n);
        fflush(stdout);
        return 0;
    }
    fprintf(stderr, "unknown family %s\n", argv[1]);
    return 1;
}
