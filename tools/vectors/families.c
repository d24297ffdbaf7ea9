/*
 * families.c - instruction-family generators.  Each generator builds
 * 'count' random tests with its own fixed PRNG stream (seeded from the
 * family name) and hands each to run_and_print().
 */
#include <stdio.h>
#include <stdlib.h>
#include "harness.h"

/* ------------------------------------------------------------- helpers */

static const int sizes3[3] = {8, 16, 32};

static int pick_size(void) { return sizes3[rn(3)]; }
static int pick_size1632(void) { return chance(50) ? 16 : 32; }

static uint32_t mask_of(int size)
{
    return size == 32 ? 0xffffffffu : (1u << size) - 1;
}

static void opsize(Test *t, int size)
{
    if (size == 16)
        emit(t, 0x66);
}

/* occasional harmless segment override (flat, writable) before a memory
   form; CS is not used since a write through it is a #GP */
static void maybe_seg(Test *t, int mem)
{
    static const uint8_t segs[3] = {0x26, 0x36, 0x3e};   /* ES SS DS */
    if (mem && chance(5))
        emit(t, segs[rn(3)]);
}

/* give register operand 'reg' (of width size) an edge-biased value */
static void set_op(Test *t, int reg, int size)
{
    if (size == 8 && reg >= 4) {
        uint32_t *r = &t->r[reg - 4];
        *r = (*r & ~0xff00u) | edge(8) << 8;
    } else if (size == 8) {
        t->r[reg] = (t->r[reg] & ~0xffu) | edge(8);
    } else if (size == 16) {
        t->r[reg] = (t->r[reg] & ~0xffffu) | edge(16);
    } else if (reg != ESP) {
        t->r[reg] = edge(32);
    }
    if (size != 8 && reg == ESP)          /* ESP always stays in its window */
        t->r[ESP] = STACK_ADDR + rn(WIN + 1);
}

/* the architectural register holding an operand register number */
static int host_reg(int reg, int size) { return size == 8 ? reg & 3 : reg; }

/*
 * Emit the ModRM for an r/m operand of 'size' bits: a register (which gets
 * an edge value) or, if mem, memory (whose bytes get an edge value).
 */
typedef struct { int mem, win, off, rm; } Rm;

static Rm rm_operand(Test *t, int reg, int size, int mem, uint32_t avoid)
{
    Rm o = {0, 0, 0, 0};
    if (mem) {
        o.mem = 1;
        o.off = modrm_mem(t, reg, 0, WIN - size / 8, avoid, 0, &o.win);
        put_win(t, o.win, o.off, edge(size), size / 8);
    } else {
        do o.rm = rn(8); while (size != 8 && o.rm == ESP && chance(80));
        set_op(t, o.rm, size);
        modrm_reg(t, reg, o.rm);
    }
    return o;
}

static int pick_reg(void) { return rn(8); }

/* pick a register other than ESP for a destination operand (mostly) */
static int pick_reg_noesp(int size)
{
    int r;
    do r = rn(8); while (size != 8 && r == ESP && chance(90));
    return r;
}

/* --------------------------------------------------------------- ALU ops */

/* op: 0 add 1 or 2 adc 3 sbb 4 and 5 sub 6 xor 7 cmp */
static void alu_one(int op)
{
    Test t;
    t_init(&t);
    int size = pick_size(), form = rn(9), w = size != 8;
    int mem = chance(40), lock = 0;
    uint32_t fmask = (op == 1 || op == 4 || op == 6) ? F_ALL & ~F_AF : F_ALL;
    if ((form <= 1 || form >= 5) && op != 7 && chance(8)) {
        lock = 1;                           /* LOCK with a register dest: #UD */
        mem = chance(85);
    }
    if (form == 4) mem = 0;
    if (lock) emit(&t, 0xf0);
    maybe_seg(&t, mem);
    opsize(&t, size);
    if (!mem && chance(3)) emit(&t, 0x67);     /* no memory operand: ignored */
    switch (form) {
    case 0: case 1: {                      /* op r/m, r */
        int reg = pick_reg();
        set_op(&t, reg, size);
        emit(&t, op * 8 + w);
        rm_operand(&t, reg, size, mem, 0);
        break;
    }
    case 2: case 3: {                      /* op r, r/m */
        int reg = pick_reg_noesp(size);
        set_op(&t, reg, size);
        emit(&t, op * 8 + 2 + w);
        rm_operand(&t, reg, size, mem, 0);
        break;
    }
    case 4:                                /* op AL/AX/EAX, imm */
        set_op(&t, EAX, size);
        emit(&t, op * 8 + 4 + w);
        emit_imm(&t, edge(size), size / 8);
        break;
    default: {                             /* 80/81/83/82 group 1 */
        int opc;
        if (size == 8) opc = chance(10) ? 0x82 : 0x80;
        else opc = chance(50) ? 0x83 : 0x81;
        emit(&t, opc);
        rm_operand(&t, op, size, mem, 0);
        if (opc == 0x81) emit_imm(&t, edge(size), size / 8);
        else emit_imm(&t, edge(8), 1);
        break;
    }
    }
    t.fmask = fmask;
    run_and_print(&t);
}

#define ALU_FAMILY(fname, op) \
    static int fname(int n) { for (int i = 0; i < n; i++) alu_one(op); return n; }
ALU_FAMILY(fam_add, 0)
ALU_FAMILY(fam_or, 1)
ALU_FAMILY(fam_adc, 2)
ALU_FAMILY(fam_sbb, 3)
ALU_FAMILY(fam_and, 4)
ALU_FAMILY(fam_sub, 5)
ALU_FAMILY(fam_xor, 6)
ALU_FAMILY(fam_cmp, 7)

/* ------------------------------------------------------------------ TEST */

static int fam_test(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int size = pick_size(), w = size != 8, form = rn(3), mem = chance(40);
        if (form == 1) mem = 0;
        maybe_seg(&t, mem);
        opsize(&t, size);
        if (form == 0) {                       /* 84/85 test r/m, r */
            int reg = pick_reg();
            set_op(&t, reg, size);
            emit(&t, 0x84 + w);
            rm_operand(&t, reg, size, mem, 0);
        } else if (form == 1) {                /* A8/A9 test acc, imm */
            set_op(&t, EAX, size);
            emit(&t, 0xa8 + w);
            emit_imm(&t, edge(size), size / 8);
        } else {                               /* F6/F7 /0 test r/m, imm */
            emit(&t, 0xf6 + w);
            rm_operand(&t, 0, size, mem, 0);
            emit_imm(&t, edge(size), size / 8);
        }
        t.fmask = F_ALL & ~F_AF;
        run_and_print(&t);
    }
    return n;
}

/* --------------------------------------------------------------- INC/DEC */

static int fam_incdec(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int size = pick_size(), dec = chance(50);
        if (chance(35) && size != 8) {         /* 40+r / 48+r */
            int reg = pick_reg_noesp(size);
            set_op(&t, reg, size);
            opsize(&t, size);
            emit(&t, (dec ? 0x48 : 0x40) + reg);
        } else {                               /* FE/FF /0 /1 */
            int mem = chance(45), lock = chance(8);
            if (lock) { emit(&t, 0xf0); mem = chance(85); }
            maybe_seg(&t, mem);
            opsize(&t, size);
            emit(&t, size == 8 ? 0xfe : 0xff);
            rm_operand(&t, dec, size, mem, 0);
        }
        run_and_print(&t);
    }
    return n;
}

/* --------------------------------------------------------------- NEG/NOT */

static int fam_negnot(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int size = pick_size(), neg = chance(60), mem = chance(40);
        if (chance(8)) { emit(&t, 0xf0); mem = chance(85); }
        maybe_seg(&t, mem);
        opsize(&t, size);
        emit(&t, size == 8 ? 0xf6 : 0xf7);
        rm_operand(&t, neg ? 3 : 2, size, mem, 0);
        run_and_print(&t);
    }
    return n;
}

/* --------------------------------------------------- MUL / IMUL one-op */

static int fam_mul(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int size = pick_size(), mem = chance(35);
        set_op(&t, EAX, size);
        maybe_seg(&t, mem);
        opsize(&t, size);
        emit(&t, size == 8 ? 0xf6 : 0xf7);
        rm_operand(&t, chance(50) ? 4 : 5, size, mem, 0);
        t.fmask = F_CF | F_OF | F_DF;          /* SF ZF AF PF undefined */
        run_and_print(&t);
    }
    return n;
}

/* ---------------------------------------------- IMUL two/three operand */

static int fam_imul(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int size = pick_size1632(), form = rn(3), mem = chance(35);
        int reg = pick_reg_noesp(size);
        set_op(&t, reg, size);
        maybe_seg(&t, mem);
        opsize(&t, size);
        if (form == 0) {                       /* 0F AF imul r, r/m */
            emit(&t, 0x0f); emit(&t, 0xaf);
            rm_operand(&t, reg, size, mem, 0);
        } else if (form == 1) {                /* 69 imul r, r/m, imm */
            emit(&t, 0x69);
            rm_operand(&t, reg, size, mem, 0);
            emit_imm(&t, edge(size), size / 8);
        } else {                               /* 6B imul r, r/m, imm8 */
            emit(&t, 0x6b);
            rm_operand(&t, reg, size, mem, 0);
            emit_imm(&t, edge(8), 1);
        }
        t.fmask = F_CF | F_OF | F_DF;
        run_and_print(&t);
    }
    return n;
}

/* -------------------------------------------------------------- DIV/IDIV */

static int64_t sx(uint64_t v, int bits)
{
    return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

static int fam_div(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int size = pick_size(), sgn = chance(50), mode = rn(20);
        int mem = chance(35);
        uint64_t m = mask_of(size);
        /* divisor */
        uint64_t d = edge(size);
        if (mode == 0) d = 0;
        else if (d == 0) d = 1 + rn(7);
        /* dividend of 2*size bits */
        uint64_t q, r, dividend;
        if (mode < 12) {                       /* quotient fits */
            if (!sgn) {
                q = edge(size);
                r = d > 1 ? ((uint64_t)rnd() << 32 | rnd()) % d : 0;
                if (chance(20)) r = d - 1;
                dividend = q * d + r;
            } else {
                int64_t sd = sx(d, size), sq = sx(edge(size), size);
                uint64_t ad = sd < 0 ? -sd : sd;
                int64_t prod = sq * sd;
                int64_t sr = ad > 1 ? (int64_t)(((uint64_t)rnd() << 32 | rnd()) % ad) : 0;
                if (prod < 0 || (prod == 0 && chance(50))) sr = -sr;
                dividend = (uint64_t)(prod + sr);
            }
        } else if (mode < 16) {                /* random, mostly overflow */
            dividend = (uint64_t)edge(size) << size | edge(size);
        } else {                               /* quotient at the limit +-1 */
            int64_t sd = sgn ? sx(d, size) : (int64_t)d;
            int64_t lim = sgn ? (chance(50) ? -(1ll << (size - 1)) : (1ll << (size - 1)) - 1)
                              : (int64_t)m;
            lim += (int64_t)rn(3) - 1;
            dividend = (uint64_t)(lim * sd);
        }
        uint64_t dm = size == 32 ? ~0ull : (1ull << (2 * size)) - 1;
        dividend &= dm;
        if (size == 8) {
            t.r[EAX] = (t.r[EAX] & 0xffff0000u) | (uint32_t)dividend;
        } else if (size == 16) {
            t.r[EAX] = (t.r[EAX] & 0xffff0000u) | (uint32_t)(dividend & 0xffff);
            t.r[EDX] = (t.r[EDX] & 0xffff0000u) | (uint32_t)(dividend >> 16);
        } else {
            t.r[EAX] = (uint32_t)dividend;
            t.r[EDX] = (uint32_t)(dividend >> 32);
        }
        maybe_seg(&t, mem);
        opsize(&t, size);
        emit(&t, size == 8 ? 0xf6 : 0xf7);
        int ext = sgn ? 7 : 6;
        if (mem) {
            int win;
            int off = modrm_mem(&t, ext, 0, WIN - size / 8,
                                (1u << EAX) | (1u << EDX), 0, &win);
            put_win(&t, win, off, (uint32_t)d, size / 8);
        } else {
            int rm;
            /* mostly a divisor register outside the dividend */
            do rm = rn(8); while (chance(85) &&
                (size == 8 ? (rm == 0 || rm == 4) : (rm == EAX || rm == EDX || rm == ESP)));
            int hr = host_reg(rm, size);
            if (!(size == 8 ? (rm == 0 || rm == 4) : (rm == EAX || rm == EDX)) && rm != ESP) {
                if (size == 8 && rm >= 4)
                    t.r[hr] = (t.r[hr] & ~0xff00u) | (uint32_t)d << 8;
                else
                    t.r[hr] = (t.r[hr] & ~(uint32_t)m) | (uint32_t)d;
            }
            modrm_reg(&t, ext, rm);
        }
        t.fmask = F_DF;                        /* all status flags undefined */
        run_and_print(&t);
    }
    return n;
}

/* ------------------------------------------------------- shifts/rotates */

static uint32_t pick_count(void)
{
    switch (rn(10)) {
    case 0: return 0;
    case 1: case 2: return 1;
    case 3: return 8 * (1 + rn(4)) + rn(3) - 1;   /* around 8/16/24/32 */
    case 4: return 32 + rn(224);                  /* masked to 5 bits */
    default: return rn(32);
    }
}

/*
 * op: 0 rol 1 ror 2 rcl 3 rcr 4 shl 5 shr 6 sal(/6) 7 sar
 */
static uint32_t shift_fmask(int op, int size, uint32_t count)
{
    uint32_t c = count & 31;
    if (c == 0)
        return F_ALL;                          /* no flag changes */
    uint32_t m = F_ALL;
    if (c != 1)
        m &= ~F_OF;                            /* OF only for 1-bit counts */
    if (op >= 4) {
        m &= ~F_AF;                            /* AF undefined */
        if ((op == 4 || op == 5 || op == 6) && (int)c >= size)
            m &= ~F_CF;                        /* SHL/SHR count >= size */
    }
    return m;
}

static int shift_family(int n, int rotate)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int size = pick_size(), w = size != 8, mem = chance(35);
        int op = rotate ? (int)rn(4) : 4 + (int)rn(4);
        if (!rotate && op == 6 && chance(60)) op = 4;   /* /6 less often */
        int form = rn(3);                      /* 0 imm8 1 by-one 2 CL */
        uint32_t count = 1;
        maybe_seg(&t, mem);
        opsize(&t, size);
        if (form == 0) {
            count = pick_count();
            emit(&t, 0xc0 + w);
            rm_operand(&t, op, size, mem, 0);
            emit_imm(&t, count, 1);
        } else if (form == 1) {
            emit(&t, 0xd0 + w);
            rm_operand(&t, op, size, mem, 0);
        } else {
            emit(&t, 0xd2 + w);
            t.r[ECX] = (t.r[ECX] & ~0xffu) | pick_count();
            Rm o = rm_operand(&t, op, size, mem, 1u << ECX);
            (void)o;
            count = t.r[ECX] & 0xff;
        }
        t.fmask = shift_fmask(op, size, count);
        run_and_print(&t);
    }
    return n;
}

static int fam_shift(int n) { return shift_family(n, 0); }
static int fam_rotate(int n) { return shift_family(n, 1); }

/* ------------------------------------------------------------ SHLD/SHRD */

static int fam_shxd(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int size = pick_size1632(), right = chance(50), bycl = chance(50);
        uint32_t count = pick_count();
        if (chance(20)) count = size == 16 ? 14 + rn(5) : 30 + rn(4);
        int reg = pick_reg();
        set_op(&t, reg, size);
        if (bycl) t.r[ECX] = (t.r[ECX] & ~0xffu) | count;
        uint32_t c = count & 31;
        int big = size == 16 && c > 16;        /* result and flags undefined */
        int mem = !big && chance(35);
        maybe_seg(&t, mem);
        opsize(&t, size);
        emit(&t, 0x0f);
        emit(&t, (right ? 0xac : 0xa4) + bycl);
        Rm o = rm_operand(&t, reg, size, mem, bycl ? 1u << ECX : 0);
        if (!bycl) emit_imm(&t, count, 1);
        else count = t.r[ECX] & 0xff;          /* the destination may be CX */
        c = count & 31;
        big = size == 16 && c > 16;
        if (c == 0) {
            t.fmask = F_ALL;
        } else if (big) {
            t.fmask = F_DF;
            t.rmask &= ~(1u << o.rm);
        } else {
            t.fmask = F_ALL & ~F_AF;
            if (c != 1) t.fmask &= ~F_OF;
        }
        run_and_print(&t);
    }
    return n;
}

/* -------------------------------------------------------- BT/BTS/BTR/BTC */

static int fam_bt(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int size = pick_size1632(), op = rn(4), imm = chance(35);
        int mem = chance(55), lock = 0;
        if (op != 0 && chance(10)) { lock = 1; mem = chance(85); }
        if (lock) emit(&t, 0xf0);
        maybe_seg(&t, mem);
        opsize(&t, size);
        emit(&t, 0x0f);
        if (imm) {                             /* 0F BA /4-7 ib */
            emit(&t, 0xba);
            rm_operand(&t, 4 + op, size, mem, 0);
            uint32_t b = chance(70) ? rn(size) : rn(256);
            emit_imm(&t, b, 1);
        } else {                               /* 0F A3/AB/B3/BB */
            static const uint8_t opc[4] = {0xa3, 0xab, 0xb3, 0xbb};
            emit(&t, opc[op]);
            int reg = pick_reg_noesp(size);
            if (reg == ESP) reg = EBP;
            if (!mem) {
                set_op(&t, reg, size);
                if (chance(50))
                    t.r[reg] = (t.r[reg] & ~mask_of(size)) | (chance(60) ? rn(size) : edge(size));
                rm_operand(&t, reg, size, 0, 0);
            } else {
                /* bit offset reaching k operands away from the address */
                int bytes = size / 8, k, win;
                int span = (WIN - bytes) / bytes;
                k = chance(40) ? 0 : (int)rn(2 * span + 1) - span;
                int lo = 0, hi = WIN - bytes;
                if (k * bytes > 0) hi -= k * bytes; else lo -= k * bytes;
                int32_t off = k * size + (int32_t)rn(size);
                t.r[reg] = (t.r[reg] & ~mask_of(size)) | ((uint32_t)off & mask_of(size));
                int ea = modrm_mem(&t, reg, lo, hi, 1u << reg, 0, &win);
                put_win(&t, win, ea + k * bytes, edge(size), bytes);
            }
        }
        /* CF defined, ZF unaffected, OF SF AF PF undefined */
        t.fmask = F_CF | F_ZF | F_DF;
        run_and_print(&t);
    }
    return n;
}

/* ------------------------------------------------------------- BSF/BSR */

static int fam_bsf(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int size = pick_size1632(), mem = chance(35);
        int reg = pick_reg_noesp(size);
        maybe_seg(&t, mem);
        opsize(&t, size);
        emit(&t, 0x0f);
        emit(&t, chance(50) ? 0xbc : 0xbd);
        Rm o = rm_operand(&t, reg, size, mem, 0);
        uint32_t src;
        if (chance(20)) {                      /* zero source */
            if (o.mem) put_win(&t, o.win, o.off, 0, size / 8);
            else if (!(t.pinned >> o.rm & 1) && o.rm != ESP)
                t.r[o.rm] &= ~mask_of(size);
        }
        if (o.mem) {
            src = 0;
            for (int b = 0; b < size / 8; b++)
                src |= (uint32_t)t.w[o.win][o.off + b] << (8 * b);
        } else {
            src = t.r[o.rm] & mask_of(size);
        }
        t.fmask = F_ZF | F_DF;                 /* CF OF SF AF PF undefined */
        if (src == 0)
            t.rmask &= ~(1u << reg);           /* destination undefined */
        run_and_print(&t);
    }
    return n;
}

/* ---------------------------------------------------------------- BSWAP */

static int fam_bswap(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int reg = pick_reg_noesp(32), o16 = chance(10);
        set_op(&t, reg, 32);
        if (o16) emit(&t, 0x66);
        emit(&t, 0x0f);
        emit(&t, 0xc8 + reg);
        if (o16) t.rmask &= ~(1u << reg);      /* 16-bit BSWAP is undefined */
        run_and_print(&t);
    }
    return n;
}

/* ----------------------------------------------------------------- CMOV */

static int fam_cmov(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int size = pick_size1632(), mem = chance(35);
        int reg = pick_reg_noesp(size);
        set_op(&t, reg, size);
        maybe_seg(&t, mem);
        opsize(&t, size);
        emit(&t, 0x0f);
        emit(&t, 0x40 + rn(16));
        rm_operand(&t, reg, size, mem, 0);
        run_and_print(&t);
    }
    return n;
}

/* ---------------------------------------------------------------- SETcc */

static int fam_setcc(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int mem = chance(30);
        maybe_seg(&t, mem);
        emit(&t, 0x0f);
        emit(&t, 0x90 + rn(16));
        rm_operand(&t, 0, 8, mem, 0);
        run_and_print(&t);
    }
    return n;
}

/* --------------------------------------------------------------- helpers
 * for branches: a displacement that lands either forward in the code page
 * (an INT3 pad) or backward below 0x1000 (fetch fault, recorded as the
 * target), never inside the instruction itself.
 */
static int32_t branch_disp(int len_after, int wide)
{
    int32_t lo = wide ? -0x800 : -128, hi = wide ? 0xe00 : 127;
    for (;;) {
        int32_t d;
        switch (rn(6)) {
        case 0: d = 0; break;
        case 1: d = (int32_t)rn(8); break;
        case 2: d = -(int32_t)len_after - 1 - (int32_t)rn(8); break;
        default: d = lo + (int32_t)rn((uint32_t)(hi - lo + 1)); break;
        }
        if (d < lo || d > hi) continue;
        if (d < 0 && d >= -len_after) continue;   /* inside the instruction */
        return d;
    }
}

/* ----------------------------------------------------------------- Jcc */

static int fam_jcc(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int cc = rn(16), near = chance(45), o16 = chance(10);
        if (o16) emit(&t, 0x66);
        if (near) {
            int db = o16 ? 2 : 4;
            emit(&t, 0x0f);
            emit(&t, 0x80 + cc);
            int32_t d = branch_disp(t.len + db, 1);
            if (o16 && chance(20)) d = 0xf000 + (int32_t)rn(0x800);  /* IP wraps */
            emit_imm(&t, (uint32_t)d, db);
        } else {
            emit(&t, 0x70 + cc);
            emit_imm(&t, (uint32_t)branch_disp(t.len + 1, 0), 1);
        }
        run_and_print(&t);
    }
    return n;
}

/* ---------------------------------------------- LOOP/LOOPE/LOOPNE/JECXZ */

static uint32_t pick_ecx(void)
{
    switch (rn(8)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return 2;
    case 3: return 0x10000 + rn(3) - 1;        /* CX vs ECX */
    case 4: return rnd() & 0xffff0000u;
    case 5: return (rnd() & 0xffff0000u) | 1;
    default: return edge(32);
    }
}

static int fam_loop(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int op = rn(4), a16 = chance(30), o16 = chance(5);
        t.r[ECX] = pick_ecx();
        if (a16) emit(&t, 0x67);
        if (o16) emit(&t, 0x66);
        emit(&t, 0xe0 + op);                   /* loopne loope loop jecxz */
        emit_imm(&t, (uint32_t)branch_disp(t.len + 1, 0), 1);
        run_and_print(&t);
    }
    return n;
}

/* ------------------------------------------------------ JMP/CALL/RET */

static void random_esp(Test *t, int lo, int hi, int align)
{
    uint32_t off = lo + rn(hi - lo + 1);
    if (chance(90)) off &= ~(uint32_t)(align - 1);
    if ((int)off < lo) off += align;
    set_esp(t, off);
}

/* a branch target address: an INT3 pad in the code page past 'len' */
static uint32_t pad_target(int len)
{
    if (chance(10)) return CODE_ADDR - 1 - rn(16);   /* fetch fault below */
    return CODE_ADDR + len + rn(0x100);
}

static int fam_branch(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int form = rn(8), o16 = chance(12);
        rand_window(&t, W_STACK);
        switch (form) {
        case 0:                                /* EB jmp rel8 */
            if (o16) emit(&t, 0x66);
            emit(&t, 0xeb);
            emit_imm(&t, (uint32_t)branch_disp(t.len + 1, 0), 1);
            break;
        case 1:                                /* E9 jmp rel32/rel16 */
            if (o16) emit(&t, 0x66);
            emit(&t, 0xe9);
            emit_imm(&t, (uint32_t)branch_disp(t.len + (o16 ? 2 : 4), 1), o16 ? 2 : 4);
            break;
        case 2:                                /* E8 call rel */
            random_esp(&t, 4, WIN, 4);
            if (o16) emit(&t, 0x66);
            emit(&t, 0xe8);
            emit_imm(&t, (uint32_t)branch_disp(t.len + (o16 ? 2 : 4), 1), o16 ? 2 : 4);
            break;
        case 3: case 4: {                      /* FF /4 jmp r/m, FF /2 call r/m */
            int call = form == 4, mem = chance(50);
            if (call) random_esp(&t, 4, WIN, 4);
            maybe_seg(&t, mem);
            if (o16) emit(&t, 0x66);
            emit(&t, 0xff);
            int sz = o16 ? 16 : 32;
            /* the length is known only after the ModRM: targets start past
               the longest encoding */
            uint32_t tgt = pad_target(12);
            if (mem) {
                int win;
                int off = modrm_mem(&t, call ? 2 : 4, 0, WIN - sz / 8, 0, 0, &win);
                put_win(&t, win, off, tgt, sz / 8);
            } else {
                int rm = pick_reg_noesp(32);
                if (rm == ESP) rm = EAX;
                t.r[rm] = o16 ? (t.r[rm] & 0xffff0000u) | tgt : tgt;
                modrm_reg(&t, call ? 2 : 4, rm);
            }
            break;
        }
        default: {                             /* C3 ret, C2 ret imm16 */
            int imm = form >= 6;
            int sz = o16 ? 2 : 4;
            random_esp(&t, 0, WIN - sz, sz);
            put_win(&t, W_STACK, t.r[ESP] - STACK_ADDR, pad_target(4), sz);
            if (o16) emit(&t, 0x66);
            emit(&t, imm ? 0xc2 : 0xc3);
            if (imm) emit_imm(&t, chance(60) ? rn(16) * 2 : edge(16), 2);
            break;
        }
        }
        run_and_print(&t);
    }
    return n;
}

/* ----------------------------------------------- CMPXCHG / CMPXCHG8B */

static uint32_t get_win(Test *t, int win, int off, int bytes)
{
    uint32_t v = 0;
    for (int b = 0; b < bytes; b++)
        v |= (uint32_t)t->w[win][off + b] << (8 * b);
    return v;
}

static int fam_cmpxchg(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        if (chance(20)) {                      /* 0F C7 /1 cmpxchg8b m64 */
            int mem = chance(95), win;
            if (chance(30)) emit(&t, 0xf0);
            maybe_seg(&t, mem);
            emit(&t, 0x0f);
            emit(&t, 0xc7);
            if (mem) {
                int off = modrm_mem(&t, 1, 0, WIN - 8, (1u << EAX) | (1u << EDX), 0, &win);
                if (chance(50)) {
                    t.r[EAX] = get_win(&t, win, off, 4);
                    t.r[EDX] = get_win(&t, win, off + 4, 4);
                } else if (chance(50)) {
                    t.r[EAX] = get_win(&t, win, off, 4);
                }
            } else {
                modrm_reg(&t, 1, rn(8));       /* #UD */
            }
            run_and_print(&t);
            continue;
        }
        int size = pick_size(), mem = chance(50), lock = chance(10);
        if (lock) { emit(&t, 0xf0); mem = chance(85); }
        maybe_seg(&t, mem);
        opsize(&t, size);
        emit(&t, 0x0f);
        emit(&t, size == 8 ? 0xb0 : 0xb1);
        int reg = pick_reg();
        set_op(&t, reg, size);
        uint32_t m = mask_of(size);
        if (mem) {
            int win;
            int off = modrm_mem(&t, reg, 0, WIN - size / 8, 1u << EAX, 0, &win);
            put_win(&t, win, off, edge(size), size / 8);
            if (chance(50))
                t.r[EAX] = (t.r[EAX] & ~m) | get_win(&t, win, off, size / 8);
        } else {
            int rm = rn(8);
            set_op(&t, rm, size);
            modrm_reg(&t, reg, rm);
            if (chance(50) && !(size == 8 && rm == 4)) {
                uint32_t v = t.r[host_reg(rm, size)];
                if (size == 8 && rm >= 4) v >>= 8;
                t.r[EAX] = (t.r[EAX] & ~m) | (v & m);
            }
        }
        run_and_print(&t);
    }
    return n;
}

/* ----------------------------------------------------------------- XADD */

static int fam_xadd(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int size = pick_size(), mem = chance(50);
        if (chance(10)) { emit(&t, 0xf0); mem = chance(85); }
        maybe_seg(&t, mem);
        opsize(&t, size);
        emit(&t, 0x0f);
        emit(&t, size == 8 ? 0xc0 : 0xc1);
        int reg = pick_reg_noesp(size);
        set_op(&t, reg, size);
        rm_operand(&t, reg, size, mem, 0);
        run_and_print(&t);
    }
    return n;
}

/* ----------------------------------------------------------------- XCHG */

static int fam_xchg(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int size = pick_size(), form = rn(3);
        if (form == 0 && size != 8) {          /* 90+r xchg eAX, r */
            int reg = pick_reg_noesp(size);
            set_op(&t, reg, size);
            set_op(&t, EAX, size);
            opsize(&t, size);
            emit(&t, 0x90 + reg);
        } else {                               /* 86/87 */
            int mem = chance(50);
            if (chance(10)) emit(&t, 0xf0);
            maybe_seg(&t, mem);
            opsize(&t, size);
            emit(&t, size == 8 ? 0x86 : 0x87);
            int reg = pick_reg_noesp(size);
            set_op(&t, reg, size);
            rm_operand(&t, reg, size, mem, 0);
        }
        run_and_print(&t);
    }
    return n;
}

/* -------------------------------------------------------- MOVZX/MOVSX */

static int fam_movx(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int dsize = pick_size1632(), word = chance(40), mem = chance(40);
        int reg = pick_reg_noesp(dsize);
        maybe_seg(&t, mem);
        opsize(&t, dsize);
        emit(&t, 0x0f);
        emit(&t, (chance(50) ? 0xb6 : 0xbe) + word);
        rm_operand(&t, reg, word ? 16 : 8, mem, 0);
        run_and_print(&t);
    }
    return n;
}

/* ------------------------------------------------------------------ LEA */

static void lea16_operand(Test *t, int reg)
{
    int mod = rn(3), rm = rn(8);
    emit(t, mod << 6 | reg << 3 | rm);
    if (mod == 1) emit_imm(t, rnd(), 1);
    else if (mod == 2 || (mod == 0 && rm == 6)) emit_imm(t, edge(16), 2);
}

static void lea32_operand(Test *t, int reg)
{
    int mod = rn(3), rm = rn(8);
    emit(t, mod << 6 | reg << 3 | rm);
    if (rm == 4) {
        int sib = rnd() & 0xff;
        emit(t, sib);
        if (mod == 0 && (sib & 7) == 5) emit_imm(t, edge(32), 4);
    }
    if (mod == 1) emit_imm(t, rnd(), 1);
    else if (mod == 2 || (mod == 0 && rm == 5)) emit_imm(t, edge(32), 4);
}

static int fam_lea(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int o16 = chance(20), a16 = chance(25);
        for (int r = 0; r < 8; r++)
            if (r != ESP && chance(50)) t.r[r] = edge(chance(50) ? 16 : 32);
        int reg = pick_reg_noesp(32);
        if (o16) emit(&t, 0x66);
        if (a16) emit(&t, 0x67);
        emit(&t, 0x8d);
        if (chance(2)) modrm_reg(&t, reg, rn(8));      /* #UD */
        else if (a16) lea16_operand(&t, reg);
        else lea32_operand(&t, reg);
        run_and_print(&t);
    }
    return n;
}

/* ------------------------------------------------------------------ MOV */

static int fam_mov(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int size = pick_size(), w = size != 8, form = rn(7), mem = chance(45);
        if (form == 2 || form == 3) mem = 0;
        if (form == 5) mem = 1;
        maybe_seg(&t, mem);
        opsize(&t, size);
        switch (form) {
        case 0: case 1: {                      /* 88/89 and 8A/8B */
            int reg = pick_reg_noesp(size);
            set_op(&t, reg, size);
            emit(&t, 0x88 + 2 * (form == 1) + w);
            rm_operand(&t, reg, size, mem, 0);
            break;
        }
        case 2: case 3: {                      /* B0+r / B8+r */
            int reg = pick_reg_noesp(size);
            emit(&t, (size == 8 ? 0xb0 : 0xb8) + reg);
            emit_imm(&t, edge(size), size / 8);
            break;
        }
        case 4:                                /* C6/C7 /0 */
            emit(&t, 0xc6 + w);
            rm_operand(&t, 0, size, mem, 0);
            emit_imm(&t, edge(size), size / 8);
            break;
        default: {                             /* A0-A3 moffs32 */
            int store = chance(50), win = chance(20) ? W_STACK : W_DATA;
            int off = rn(WIN - size / 8 + 1);
            rand_window(&t, win);
            set_op(&t, EAX, size);
            emit(&t, 0xa0 + 2 * store + w);
            emit_imm(&t, (win == W_STACK ? STACK_ADDR : DATA_ADDR) + off, 4);
            break;
        }
        }
        run_and_print(&t);
    }
    return n;
}

/* -------------------------------------------------- CBW/CWDE/CWD/CDQ */

static int fam_cbw(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int o16 = chance(50);
        set_op(&t, EAX, o16 ? 8 : 16);
        if (chance(50)) set_op(&t, EAX, o16 ? 16 : 32);
        if (o16) emit(&t, 0x66);
        emit(&t, chance(50) ? 0x98 : 0x99);
        run_and_print(&t);
    }
    return n;
}

/* ------------------------------------------------------------------ BCD */

static int fam_bcd(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int op = rn(6);
        uint32_t al = chance(50) ? edge(8) : (rn(10) << 4 | rn(16)), ah = edge(8);
        if (chance(30)) al = rnd() & 0xff;
        t.r[EAX] = (t.r[EAX] & 0xffff0000u) | ah << 8 | al;
        switch (op) {
        case 0: emit(&t, 0x27); t.fmask = F_ALL & ~F_OF; break;           /* daa */
        case 1: emit(&t, 0x2f); t.fmask = F_ALL & ~F_OF; break;           /* das */
        case 2: emit(&t, 0x37); t.fmask = F_CF | F_AF | F_DF; break;      /* aaa */
        case 3: emit(&t, 0x3f); t.fmask = F_CF | F_AF | F_DF; break;      /* aas */
        default: {                                                        /* aam aad */
            uint32_t imm = chance(60) ? 10 : chance(15) ? 0 : edge(8);
            emit(&t, op == 4 ? 0xd4 : 0xd5);
            emit_imm(&t, imm, 1);
            t.fmask = F_SF | F_ZF | F_PF | F_DF;
            break;
        }
        }
        run_and_print(&t);
    }
    return n;
}

/* ---------------------------------------------------------- flag ops */

static int fam_flags(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int op = rn(10), o16 = chance(25);
        switch (op) {
        case 0: emit(&t, 0x9f); break;         /* lahf */
        case 1: emit(&t, 0x9e); break;         /* sahf */
        case 2:                                /* pushf */
            rand_window(&t, W_STACK);
            random_esp(&t, o16 ? 2 : 4, WIN, o16 ? 2 : 4);
            if (o16) emit(&t, 0x66);
            emit(&t, 0x9c);
            break;
        case 3: case 4: {                      /* popf */
            rand_window(&t, W_STACK);
            random_esp(&t, 0, WIN - (o16 ? 2 : 4), o16 ? 2 : 4);
            /* status flags, DF, IF, IOPL, NT and reserved bits; no TF/AC/ID */
            uint32_t img = rnd() & 0x0000feffu;
            if (chance(30)) img |= 0x202;
            put_win(&t, W_STACK, t.r[ESP] - STACK_ADDR, img, o16 ? 2 : 4);
            if (o16) emit(&t, 0x66);
            emit(&t, 0x9d);
            break;
        }
        case 5: emit(&t, 0xf8); break;         /* clc */
        case 6: emit(&t, 0xf9); break;         /* stc */
        case 7: emit(&t, 0xf5); break;         /* cmc */
        case 8: emit(&t, 0xfc); break;         /* cld */
        default: emit(&t, 0xfd); break;        /* std */
        }
        run_and_print(&t);
    }
    return n;
}

/* ------------------------------------------------------ PUSH/POP/PUSHA */

static int fam_pushpop(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int form = rn(8), o16 = chance(25), sz = o16 ? 2 : 4;
        rand_window(&t, W_STACK);
        switch (form) {
        case 0:                                /* 50+r push r */
            random_esp(&t, sz, WIN, sz);
            if (o16) emit(&t, 0x66);
            emit(&t, 0x50 + rn(8));
            break;
        case 1: {                              /* 58+r pop r */
            random_esp(&t, 0, WIN - sz, sz);
            int reg = rn(8);
            if (o16) emit(&t, 0x66);
            emit(&t, 0x58 + reg);
            break;
        }
        case 2:                                /* 6A / 68 push imm */
            random_esp(&t, sz, WIN, sz);
            if (o16) emit(&t, 0x66);
            if (chance(50)) { emit(&t, 0x6a); emit_imm(&t, edge(8), 1); }
            else { emit(&t, 0x68); emit_imm(&t, edge(o16 ? 16 : 32), sz); }
            break;
        case 3: {                              /* FF /6 push r/m */
            int mem = chance(75);
            random_esp(&t, sz, WIN, sz);
            maybe_seg(&t, mem);
            if (o16) emit(&t, 0x66);
            emit(&t, 0xff);
            rm_operand(&t, 6, o16 ? 16 : 32, mem, 0);
            break;
        }
        case 4: {                              /* 8F /0 pop r/m */
            int mem = chance(75);
            random_esp(&t, 0, WIN - sz, sz);
            maybe_seg(&t, mem);
            if (o16) emit(&t, 0x66);
            emit(&t, 0x8f);
            if (mem) {
                int win;
                modrm_mem(&t, 0, 0, WIN - sz, 0, sz, &win);
            } else {
                modrm_reg(&t, 0, rn(8));
            }
            break;
        }
        case 5:                                /* 60 pusha */
            random_esp(&t, 8 * sz, WIN, sz);
            if (o16) emit(&t, 0x66);
            emit(&t, 0x60);
            break;
        case 6:                                /* 61 popa */
            random_esp(&t, 0, WIN - 8 * sz, sz);
            if (o16) emit(&t, 0x66);
            emit(&t, 0x61);
            break;
        default:                               /* push esp / pop esp */
            if (chance(50)) {
                random_esp(&t, sz, WIN, sz);
                if (o16) emit(&t, 0x66);
                emit(&t, 0x54);
            } else {
                random_esp(&t, 0, WIN - sz, sz);
                if (o16) emit(&t, 0x66);
                emit(&t, 0x5c);
            }
            break;
        }
        run_and_print(&t);
    }
    return n;
}

/* ---------------------------------------------------------- ENTER/LEAVE */

static int fam_enter(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int o16 = chance(20), sz = o16 ? 2 : 4;
        rand_window(&t, W_STACK);
        if (chance(25)) {                      /* C9 leave */
            int win = chance(80) ? W_STACK : W_DATA;
            if (win == W_DATA) rand_window(&t, W_DATA);
            uint32_t off = rn(WIN - sz + 1);
            if (chance(85)) off &= ~(uint32_t)(sz - 1);
            t.r[EBP] = (win == W_STACK ? STACK_ADDR : DATA_ADDR) + off;
            if (o16) emit(&t, 0x66);
            emit(&t, 0xc9);
        } else {                               /* C8 iw ib enter */
            int level = rn(4);
            if (chance(5)) level = 32 + rn(2); /* masked to 0/1 */
            int l = level & 31;
            int pushes = l == 0 ? 1 : l + 1;
            random_esp(&t, pushes * sz, WIN, sz);
            if (l > 1) {                       /* old frame pointers read */
                int win = chance(70) ? W_STACK : W_DATA;
                if (win == W_DATA) rand_window(&t, W_DATA);
                uint32_t off = (l - 1) * sz + rn(WIN - (l - 1) * sz + 1);
                t.r[EBP] = (win == W_STACK ? STACK_ADDR : DATA_ADDR) + off;
            }
            /* this CPU touches the new ESP (the frame bottom) at any
               level: keep the whole frame inside the stack window */
            uint32_t room = t.r[ESP] - STACK_ADDR - pushes * sz;
            uint32_t size = rn(room + 1);
            if (chance(70)) size &= ~3u;
            if (o16) emit(&t, 0x66);
            emit(&t, 0xc8);
            emit_imm(&t, size, 2);
            emit_imm(&t, level, 1);
        }
        run_and_print(&t);
    }
    return n;
}

/* ---------------------------------------------------------- string ops */

static int fam_string(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        static const uint8_t base[5] = {0xa4, 0xa6, 0xaa, 0xac, 0xae};
        int op = rn(5), size = pick_size(), e = size / 8, w = size != 8;
        int rep = rn(3);                       /* 0 none 1 F3 2 F2 */
        if (rep == 2 && op != 1 && op != 4) rep = 1;
        int df = chance(50);
        t.fl = (t.fl & ~F_DF) | (df ? F_DF : 0);
        int reads_si = op == 0 || op == 1 || op == 3;
        int uses_di = op != 3;
        if (rep && chance(6)) {
            /* 0x67 with CX = 0: no iteration at all, ECX upper half ignored */
            t.r[ECX] = (rnd() | 0x10000u) & 0xffff0000u;
            emit(&t, 0x67);
            emit(&t, rep == 1 ? 0xf3 : 0xf2);
            opsize(&t, size);
            emit(&t, base[op] + w);
            run_and_print(&t);
            continue;
        }
        uint32_t cnt = 1;
        if (rep) {
            cnt = chance(10) ? 0 : 1 + rn(6);
            t.r[ECX] = cnt;
        }
        rand_window(&t, W_DATA);
        /* place ESI/EDI so that cnt elements fit, in either direction */
        int span = cnt ? (int)cnt * e : e;
        int lo = df ? span - e : 0, hi = df ? WIN - e : WIN - span;
        int si = lo + rn(hi - lo + 1), di = lo + rn(hi - lo + 1);
        int dwin = (op == 0 || op == 2) && chance(30) ? W_STACK : W_DATA;
        if (dwin == W_STACK) rand_window(&t, W_STACK);
        if (reads_si) t.r[ESI] = DATA_ADDR + si;
        if (uses_di) t.r[EDI] = (dwin == W_STACK ? STACK_ADDR : DATA_ADDR) + di;
        if (op == 1 && chance(60)) {           /* cmps: equal run */
            int run = rn(span + 1);
            for (int k = 0; k < run; k++) {
                int a = df ? si + e - 1 - k : si + k, b = df ? di + e - 1 - k : di + k;
                if (a >= 0 && a < WIN && b >= 0 && b < WIN)
                    t.w[W_DATA][b] = t.w[W_DATA][a];
            }
        }
        if (op == 4) {                         /* scas: accumulator */
            set_op(&t, EAX, size);
            if (chance(60)) {
                int run = rn(cnt + 1);
                for (int k = 0; k < run; k++)
                    put_win(&t, W_DATA, df ? di - k * e : di + k * e, t.r[EAX], e);
            }
        }
        if (rep == 1) emit(&t, 0xf3);
        else if (rep == 2) emit(&t, 0xf2);
        if (reads_si) maybe_seg(&t, 1);
        opsize(&t, size);
        emit(&t, base[op] + w);
        if (op == 0 || op == 2 || op == 3) t.fmask = F_ALL;
        run_and_print(&t);
    }
    return n;
}

/* ----------------------------------------------------------------- XLAT */

static int fam_xlat(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int win = chance(20) ? W_STACK : W_DATA;
        rand_window(&t, win);
        uint32_t al = t.r[EAX] & 0xff;
        if (al >= WIN && chance(30)) {
            al = rn(WIN);
            t.r[EAX] = (t.r[EAX] & ~0xffu) | al;
        }
        uint32_t addr = (win == W_STACK ? STACK_ADDR : DATA_ADDR) + rn(WIN);
        t.r[EBX] = addr - al;
        maybe_seg(&t, 1);
        emit(&t, 0xd7);
        run_and_print(&t);
    }
    return n;
}

/* ----------------------------------------------------------- BOUND/INTO */

static int fam_bound(int n)
{
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        if (chance(25)) {                      /* CE into */
            emit(&t, 0xce);
            run_and_print(&t);
            continue;
        }
        int size = pick_size1632(), e = size / 8, win;
        int reg = pick_reg_noesp(size);
        if (reg == ESP) reg = ESI;
        uint32_t m = mask_of(size);
        maybe_seg(&t, 1);
        opsize(&t, size);
        emit(&t, 0x62);
        int off = modrm_mem(&t, reg, 0, WIN - 2 * e, 1u << reg, 0, &win);
        int64_t lo = sx(edge(size), size), hi = sx(edge(size), size);
        if (chance(70) && lo > hi) { int64_t x = lo; lo = hi; hi = x; }
        int64_t v;
        switch (rn(6)) {
        case 0: v = lo; break;
        case 1: v = hi; break;
        case 2: v = lo - 1; break;
        case 3: v = hi + 1; break;
        case 4: v = lo + (hi > lo ? (int64_t)(rnd() % (uint64_t)(hi - lo + 1)) : 0); break;
        default: v = sx(edge(size), size); break;
        }
        put_win(&t, win, off, (uint32_t)lo, e);
        put_win(&t, win, off + e, (uint32_t)hi, e);
        t.r[reg] = (t.r[reg] & ~m) | ((uint32_t)v & m);
        run_and_print(&t);
    }
    return n;
}

/* ------------------------------------------- privileged / invalid at CPL 3 */

static int fam_priv(int n)
{
    /* CPL 3, IOPL 0, no I/O permission bitmap: each of these faults */
    static const struct { uint8_t len, b[4]; } ops[] = {
        {1, {0xf4}},                 /* hlt            #GP */
        {1, {0xfa}},                 /* cli            #GP */
        {1, {0xfb}},                 /* sti            #GP */
        {2, {0xe4, 0x80}},           /* in al, 80h     #GP */
        {2, {0xe5, 0x60}},           /* in eax, 60h    #GP */
        {1, {0xec}},                 /* in al, dx      #GP */
        {1, {0xed}},                 /* in eax, dx     #GP */
        {2, {0xe6, 0x80}},           /* out 80h, al    #GP */
        {1, {0xee}},                 /* out dx, al     #GP */
        {1, {0xef}},                 /* out dx, eax    #GP */
        {1, {0x6c}},                 /* insb           #GP */
        {1, {0x6e}},                 /* outsb          #GP */
        {2, {0x0f, 0x06}},           /* clts           #GP */
        {3, {0x0f, 0x20, 0xc0}},     /* mov eax, cr0   #GP */
        {3, {0x0f, 0x22, 0xd8}},     /* mov cr3, eax   #GP */
        {3, {0x0f, 0x21, 0xf8}},     /* mov eax, dr7   #GP */
        {2, {0x0f, 0x09}},           /* wbinvd         #GP */
        {2, {0x0f, 0x30}},           /* wrmsr          #GP */
        {2, {0x0f, 0x32}},           /* rdmsr          #GP */
        {2, {0x0f, 0x0b}},           /* ud2            #UD */
        {2, {0xf0, 0x90}},           /* lock nop       #UD */
        {3, {0xf0, 0x0f, 0x0b}},     /* lock ud2       #UD */
        {3, {0xf0, 0x89, 0xc0}},     /* lock mov       #UD */
    };
    int nops = sizeof ops / sizeof ops[0];
    for (int i = 0; i < n; i++) {
        Test t;
        t_init(&t);
        int k = i < nops ? i : (int)rn(nops);
        if (chance(10)) emit(&t, 0x66);
        for (int j = 0; j < ops[k].len; j++)
            emit(&t, ops[k].b[j]);
        run_and_print(&t);
    }
    return n;
}

/* -------------------------------------------------------------- registry */

const struct family { const char *name; family_fn fn; int count; } families[] = {
    {"add", fam_add, 1200},
    {"or", fam_or, 900},
    {"adc", fam_adc, 1200},
    {"sbb", fam_sbb, 1200},
    {"and", fam_and, 900},
    {"sub", fam_sub, 1200},
    {"xor", fam_xor, 900},
    {"cmp", fam_cmp, 1200},
    {"test", fam_test, 800},
    {"incdec", fam_incdec, 1000},
    {"negnot", fam_negnot, 800},
    {"mul", fam_mul, 1000},
    {"imul", fam_imul, 1000},
    {"div", fam_div, 1500},
    {"shift", fam_shift, 1500},
    {"rotate", fam_rotate, 1500},
    {"shxd", fam_shxd, 1500},
    {"bt", fam_bt, 1500},
    {"bsf", fam_bsf, 1000},
    {"bswap", fam_bswap, 300},
    {"cmov", fam_cmov, 1000},
    {"setcc", fam_setcc, 800},
    {"jcc", fam_jcc, 1000},
    {"loop", fam_loop, 800},
    {"branch", fam_branch, 1000},
    {"cmpxchg", fam_cmpxchg, 1200},
    {"xadd", fam_xadd, 800},
    {"xchg", fam_xchg, 800},
    {"movx", fam_movx, 800},
    {"lea", fam_lea, 1200},
    {"mov", fam_mov, 1000},
    {"cbw", fam_cbw, 400},
    {"bcd", fam_bcd, 1500},
    {"flags", fam_flags, 1000},
    {"pushpop", fam_pushpop, 1200},
    {"enter", fam_enter, 1000},
    {"string", fam_string, 1500},
    {"xlat", fam_xlat, 300},
    {"bound", fam_bound, 600},
    {"priv", fam_priv, 200},
    {NULL, NULL, 0},
};
