/*
 * simd.h - shared declarations of the SIMD harness: simd.c (the runner, the
 * MMX / SSE2 integer and SSSE3 families), simdfp.c (the SSE / SSE2 / SSE3
 * floating-point families and LDMXCSR/STMXCSR) and x87.c (the x87 families).
 * See README.md, "SIMD vectors".
 */
#ifndef VECTORS_SIMD_H
#define VECTORS_SIMD_H

#include "harness.h"

#define MXCSR_DEFAULT 0x1f80u

/* expected vectors beyond -1 / 6 / 13 */
#define EXPECT_ANY_XM  (-2)  /* completes, or #XM (19) when an unmasked SIMD exception happens */

typedef struct {
    Test     t;              /* code (32-bit encoding), GPRs, EFLAGS, windows */
    uint64_t mm[8];
    uint64_t xmm[8][2];      /* [i][0] bits 63..0, [i][1] bits 127..64 */
    uint32_t mxcsr;
    int      modrm_at;       /* index of the ModRM byte of a memory form, or -1 */
    int      expect;         /* expected vector: -1 none, 6 #UD, 13 #GP, EXPECT_ANY_XM */
    /* x87 lines (x87 != 0): the full x87 state, physical registers */
    int      x87;
    uint16_t fcw, fsw;       /* FSW with TOP; ES and B clear */
    uint8_t  ftag;           /* abridged tag byte: bit p set = physical register p not empty */
    uint64_t st_m[8];        /* physical register p: significand */
    uint16_t st_e[8];        /* physical register p: sign and exponent */
    uint16_t fsw_mask;       /* FSW bits compared (undefined condition codes left out) */
    uint8_t  st_mask;        /* physical registers (contents and tags) compared */
} STest;

/* value helpers (simd.c) */
uint64_t r64(void);
uint64_t elem(int w);
enum { V_EDGE, V_LIMIT };
uint64_t packed(int w, int vk);
void st_init(STest *s);
void set_mm(STest *s, int i, uint64_t v);
void set_xmm(STest *s, int i, uint64_t lo, uint64_t hi);
void put64(Test *t, int win, int off, uint64_t v, int bytes);
void maybe_seg(Test *t);
int  mem_operand(STest *s, int reg, int bytes, int align, int *win);
void mem_source(STest *s, int reg, int bytes, int align, const uint64_t v[2]);
void gpr_source(STest *s, int r);
int  pick_gpr_dst(void);
void emit_pfx(Test *t, int pfx, int variant);

/* run natively twice, check, print one line (simd.c) */
void run_and_print_simd(STest *s);

/* floating-point values and MXCSR (simdfp.c) */
uint32_t fp32(void);
uint64_t fp64(void);
uint32_t mxcsr_gen(void);

/* families of simdfp.c and x87.c */
int fam_sse_arith(int n);
int fam_sse_cmp(int n);
int fam_sse_cvt(int n);
int fam_sse_move(int n);
int fam_sse3(int n);
int fam_ldst_mxcsr(int n);
int fam_x87_arith(int n);
int fam_x87_ldst(int n);
int fam_x87_misc(int n);
int fam_x87_cmp(int n);

#define N(a) ((int)(sizeof a / sizeof a[0]))

#endif
