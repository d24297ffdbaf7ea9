/*
 * harness.c - run one x86 instruction natively in a 32-bit Linux process
 * over a chosen register/memory state and print the state before and after.
 *
 * Memory layout inside the process (all MAP_FIXED, see README.md):
 *   0x00001000  code page, filled with INT3 (0xCC); the instruction under
 *               test sits at its start, so falling through or branching to
 *               any other byte of the page ends on an INT3 landing pad.
 *               Branch targets outside the page end in an instruction fetch
 *               fault whose address is the target; that is recorded too.
 *   0x00200000  data page; the 64-byte data window is its first 64 bytes
 *   0x00300000  stack page; the 64-byte stack window is its first 64 bytes
 * The pages below 0x200000 and 0x300000 are left unmapped as guards.
 *
 * Every test runs twice with different fill patterns in the rest of the
 * data/stack pages.  The two results must agree and the fill must be intact,
 * which proves the instruction touched nothing outside the two windows.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include "harness.h"

extern uint32_t in_block[9];
extern uint32_t in_esp;
extern void run_test(void);
extern char resume_point[];

/* ------------------------------------------------------------------ PRNG */

static uint64_t prng_state;

void seed_family(const char *name)
{
    uint64_t h = 0xcbf29ce484222325ull;       /* FNV-1a of the family name */
    for (const char *p = name; *p; p++)
        h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
    prng_state = h ^ 0x6a76697365723332ull;    /* fixed global seed        */
}

uint32_t rnd(void)
{
    uint64_t z = (prng_state += 0x9e3779b97f4a7c15ull);    /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

uint32_t rn(uint32_t n) { return (uint32_t)(((uint64_t)rnd() * n) >> 32); }
int chance(int percent) { return rn(100) < (uint32_t)percent; }

uint32_t edge(int bits)
{
    uint32_t m = bits == 32 ? 0xffffffffu : (1u << bits) - 1;
    uint32_t s = 1u << (bits - 1);
    switch (rn(20)) {
    case 0:  return 0;
    case 1:  return 1;
    case 2:  return m;
    case 3:  return s;
    case 4:  return s - 1;
    case 5:  return (s + 1) & m;
    case 6:  return m - 1;
    case 7:  return rn(16);
    case 8:  return (m - rn(16)) & m;
    case 9:  return (1u << rn(bits)) & m;
    case 10: return (s - 1 - rn(8)) & m;
    case 11: return (s + rn(8)) & m;
    default: return rnd() & m;
    }
}

uint32_t rv(int bits)
{
    if (bits >= 32)
        return edge(32);
    uint32_t m = (1u << bits) - 1;
    uint32_t hi = chance(25) ? 0 : chance(20) ? ~0u : rnd();
    return (hi & ~m) | edge(bits);
}

/* ------------------------------------------------------- test building */

void t_init(Test *t)
{
    memset(t, 0, sizeof *t);
    static const int widths[3] = {8, 16, 32};
    for (int i = 0; i < 8; i++)
        t->r[i] = rv(widths[rn(3)]);
    t->fl = 0x202;
    uint32_t bits[7] = {F_CF, F_PF, F_AF, F_ZF, F_SF, F_OF, F_DF};
    for (int i = 0; i < 7; i++)
        if (chance(50))
            t->fl |= bits[i];
    /* fixed fill for windows the test does not use: compresses well */
    for (int i = 0; i < WIN; i++) {
        t->w[W_DATA][i] = (uint8_t)(0xd0 + i);
        t->w[W_STACK][i] = (uint8_t)(0x50 + i);
    }
    t->r[ESP] = STACK_ADDR + 0x20;
    t->fmask = F_ALL;
    t->rmask = 0xff;
}

void emit(Test *t, uint32_t b)
{
    if (t->len >= 15) { fprintf(stderr, "instruction too long\n"); exit(2); }
    t->code[t->len++] = (uint8_t)b;
}

void emit_imm(Test *t, uint32_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        emit(t, (v >> (8 * i)) & 0xff);
}

static uint8_t rand_byte(void)
{
    switch (rn(10)) {
    case 0: case 1: return 0;
    case 2: return 0xff;
    case 3: return chance(50) ? 0x80 : 0x7f;
    case 4: return (uint8_t)rn(16);
    default: return (uint8_t)rnd();
    }
}

void rand_window(Test *t, int win)
{
    for (int i = 0; i < WIN; i++)
        t->w[win][i] = rand_byte();
    if (win == W_DATA) t->uses_mem = 1; else t->uses_stack = 1;
}

void put_win(Test *t, int win, int off, uint32_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        t->w[win][off + i] = (uint8_t)(v >> (8 * i));
}

void set_esp(Test *t, uint32_t off)
{
    t->r[ESP] = STACK_ADDR + off;
}

void modrm_reg(Test *t, int reg, int rm)
{
    emit(t, 0xc0 | (reg & 7) << 3 | (rm & 7));
}

static int fits8(uint32_t d) { return (int32_t)d >= -128 && (int32_t)d <= 127; }

int modrm_mem(Test *t, int reg, int lo, int hi, uint32_t avoid,
              int32_t esp_bias, int *pwin)
{
    for (int tries = 0; tries < 10000; tries++) {
        int mod = rn(3), form = rn(10), rm, sib = -1;
        int base = -1, index = -1, scale = 0, dispbytes = 0;
        if (form == 9) {                         /* [disp32] */
            mod = 0; rm = 5;
        } else if (form < 5) {                   /* [reg(+disp)] */
            rm = rn(8);
            if (rm == 4 || (rm == 5 && mod == 0)) continue;
            base = rm;
        } else {                                 /* SIB */
            int b = rn(8), x = rn(8);
            rm = 4; scale = rn(4);
            sib = scale << 6 | x << 3 | b;
            base = (b == 5 && mod == 0) ? -1 : b;
            index = x == 4 ? -1 : x;
        }
        if (mod == 1) dispbytes = 1;
        else if (mod == 2 || (mod == 0 && base < 0)) dispbytes = 4;
        if (base >= 0 && (avoid >> base & 1)) continue;
        if (index >= 0 && (avoid >> index & 1)) continue;

        int win = base == ESP ? W_STACK : chance(15) ? W_STACK : W_DATA;
        uint32_t wb = win == W_STACK ? STACK_ADDR : DATA_ADDR;
        int off = lo + (int)rn(hi - lo + 1);
        uint32_t A = wb + off, s = 1u << scale, D = 0, B = 0, I = 0;
        if (dispbytes == 1) D = (uint32_t)(int32_t)(int8_t)rnd();
        else if (dispbytes == 4) D = chance(50) ? rnd() : (uint32_t)(int32_t)(int16_t)rnd();

        if (base == ESP) {
            B = t->r[ESP] + esp_bias;
            if (index < 0) {
                if (dispbytes == 0) {
                    off = (int)(B - wb);
                    if (B < wb || off < lo || off > hi) continue;
                    A = B;
                } else {
                    D = A - B;
                    if (dispbytes == 1 && !fits8(D)) continue;
                }
            } else {
                if (dispbytes == 4) {
                    I = rv(32);
                    D = A - B - I * s;
                } else {
                    uint32_t diff = A - B - D;
                    if (diff % s) continue;
                    I = diff / s + (scale ? (rnd() << (32 - scale)) : 0);
                }
                t->r[index] = I;
            }
        } else if (base >= 0 && base == index) {
            uint32_t X = A - D, v;
            if (s + 1 == 2) {
                if (X & 1) continue;
                v = (X >> 1) + (rnd() & 0x80000000u);
            } else {
                uint32_t k = s + 1, inv = k;          /* Newton inverse mod 2^32 */
                for (int i = 0; i < 5; i++) inv *= 2 - k * inv;
                v = X * inv;
            }
            t->r[base] = v;
        } else if (base >= 0) {
            if (index >= 0) {
                I = rv(32);
                t->r[index] = I;
            }
            B = A - D - I * s;
            t->r[base] = B;
        } else {
            if (index >= 0) {
                I = rv(32);
                t->r[index] = I;
            }
            D = A - I * s;
        }
        if (base >= 0) t->pinned |= 1u << base;
        if (index >= 0) t->pinned |= 1u << index;
        emit(t, mod << 6 | (reg & 7) << 3 | rm);
        if (sib >= 0) emit(t, sib);
        emit_imm(t, D, dispbytes);
        if (win == W_DATA ? !t->uses_mem : !t->uses_stack)
            rand_window(t, win);
        *pwin = win;
        return off;
    }
    fprintf(stderr, "modrm_mem: no encoding found\n");
    exit(2);
}

/* the pattern a window page holds outside the window (both runners check it after a test) */
void fill_page(uint8_t *p, uint32_t seed)
{
    for (int i = 0; i < 4096; i++)
        p[i] = (uint8_t)(seed + i * 0x3b + (i >> 3) * 0x17);
}

/* 1 if everything past the window still holds fill_page's pattern */
int check_page(const uint8_t *p, uint32_t seed)
{
    for (int i = WIN; i < 4096; i++)
        if (p[i] != (uint8_t)(seed + i * 0x3b + (i >> 3) * 0x17))
            return 0;
    return 1;
}

#ifndef VECTORS_NO_RUNNER
/*
 * Everything below runs the 32-bit families natively (i386 ucontext,
 * entry.S).  The SIMD harness (simd.c, a 64-bit program) reuses the test
 * building code above and has its own runner: it compiles this file with
 * -DVECTORS_NO_RUNNER.
 */

/* ---------------------------------------------------------------- runner */

static volatile struct {
    uint32_t r[8], fl, eip, addr;
    int trapno, sig;
} cap;

static void handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;
    cap.r[EAX] = g[REG_EAX]; cap.r[ECX] = g[REG_ECX];
    cap.r[EDX] = g[REG_EDX]; cap.r[EBX] = g[REG_EBX];
    cap.r[ESP] = g[REG_ESP]; cap.r[EBP] = g[REG_EBP];
    cap.r[ESI] = g[REG_ESI]; cap.r[EDI] = g[REG_EDI];
    cap.fl = g[REG_EFL];
    cap.eip = g[REG_EIP];
    cap.trapno = g[REG_TRAPNO];
    cap.sig = sig;
    cap.addr = (uint32_t)(uintptr_t)si->si_addr;
    g[REG_EIP] = (greg_t)(uintptr_t)resume_point;
    g[REG_EFL] &= ~(0x100 | 0x400 | 0x4000 | 0x40000);   /* TF DF NT AC */
}

static int run_once(const Test *t, Result *res, uint32_t seed)
{
    uint8_t *code = (uint8_t *)CODE_ADDR, *data = (uint8_t *)DATA_ADDR,
            *stack = (uint8_t *)STACK_ADDR;
    memset(code, 0xcc, 4096);
    memcpy(code, t->code, t->len);
    fill_page(data, seed);
    fill_page(stack, ~seed);
    memcpy(data, t->w[W_DATA], WIN);
    memcpy(stack, t->w[W_STACK], WIN);
    in_block[0] = t->r[EDI]; in_block[1] = t->r[ESI];
    in_block[2] = t->r[EBP]; in_block[3] = 0;
    in_block[4] = t->r[EBX]; in_block[5] = t->r[EDX];
    in_block[6] = t->r[ECX]; in_block[7] = t->r[EAX];
    in_block[8] = t->fl;
    in_esp = t->r[ESP];
    cap.sig = 0;
    run_test();

    memcpy(res->r, (const void *)cap.r, sizeof res->r);
    res->fl = cap.fl & ~0x10000u;      /* RF: set by the capturing fault */
    memcpy(res->w[W_DATA], data, WIN);
    memcpy(res->w[W_STACK], stack, WIN);
    if (!check_page(data, seed) || !check_page(stack, ~seed)) {
        fprintf(stderr, "write outside the windows\n");
        return 0;
    }
    int32_t d = (int32_t)(cap.eip - CODE_ADDR);
    if (cap.sig == SIGTRAP && cap.trapno == 3) {
        res->vec = -1;
        res->eipd = d - 1;
    } else if (cap.sig == SIGSEGV && cap.trapno == 14 && cap.addr == cap.eip) {
        res->vec = -1;                 /* branch target outside the code page */
        res->eipd = d;
    } else if ((cap.sig == SIGFPE && cap.trapno == 0) ||
               (cap.sig == SIGSEGV && (cap.trapno == 4 || cap.trapno == 5 ||
                                       cap.trapno == 13)) ||
               (cap.sig == SIGILL && cap.trapno == 6)) {
        res->vec = cap.trapno;
        res->eipd = d;
    } else {
        fprintf(stderr, "unexpected signal %d trapno %d eip %08x addr %08x\n",
                cap.sig, cap.trapno, cap.eip, cap.addr);
        return 0;
    }
    return 1;
}

static void hex(const uint8_t *p, int n)
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

static void print_state(const uint32_t *r, uint32_t fl, uint8_t w[2][WIN])
{
    for (int i = 0; i < 8; i++)
        printf(" %08x", r[i]);
    printf(" %08x ", fl);
    hex(w[W_DATA], WIN);
    putchar(' ');
    hex(w[W_STACK], WIN);
}

static void print_signed(int32_t v)
{
    if (v < 0) printf(" -%x", (uint32_t)-(int64_t)v);
    else printf(" %x", (uint32_t)v);
}

static void dump_test(const Test *t)
{
    fprintf(stderr, "  code:");
    for (int i = 0; i < t->len; i++) fprintf(stderr, " %02x", t->code[i]);
    fprintf(stderr, "\n  regs:");
    for (int i = 0; i < 8; i++) fprintf(stderr, " %08x", t->r[i]);
    fprintf(stderr, " fl %08x\n", t->fl);
}

int run_and_print(Test *t)
{
    Result a, b;
    if (t->r[ESP] < STACK_ADDR || t->r[ESP] > STACK_ADDR + WIN) {
        fprintf(stderr, "initial ESP outside the stack window\n");
        dump_test(t);
        exit(3);
    }
    if (!run_once(t, &a, 0x35) || !run_once(t, &b, 0xa6)) {
        dump_test(t);
        exit(3);
    }
    if (memcmp(a.r, b.r, sizeof a.r) || a.fl != b.fl || a.eipd != b.eipd ||
        a.vec != b.vec || memcmp(a.w, b.w, sizeof a.w)) {
        fprintf(stderr, "result depends on memory outside the windows\n");
        dump_test(t);
        exit(3);
    }
    if (a.vec >= 0 && a.vec != 4) {
        /* a fault leaves everything as it was: compare it all */
        t->fmask = F_ALL;
        t->rmask = 0xff;
    }
    hex(t->code, t->len);
    print_state(t->r, t->fl, t->w);
    print_state(a.r, a.fl, a.w);
    print_signed(a.eipd);
    print_signed(a.vec);
    printf(" %08x %02x\n", t->fmask, t->rmask);
    return 1;
}

/* ------------------------------------------------------------------ main */

extern const struct family { const char *name; family_fn fn; int count; } families[];

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
        for (int i = 0; families[i].name; i++)
            printf("%s %d\n", families[i].name, families[i].count);
        return argc < 2;
    }
    for (int i = 0; families[i].name; i++) {
        if (strcmp(families[i].name, argv[1]))
            continue;
        int n = argc > 2 ? atoi(argv[2]) : families[i].count;
        setup();
        seed_family(families[i].name);
        printf("# jvisor vectors32 family %s: %d tests, format in tools/vectors/README.md\n",
               families[i].name, n);
        printf("# code EAX ECX EDX EBX ESP EBP ESI EDI EFLAGS DATA STACK "
               "EAX' ECX' EDX' EBX' ESP' EBP' ESI' EDI' EFLAGS' DATA' STACK' "
               "EIPDELTA VECTOR FLAGMASK REGMASK\n");
        families[i].fn(n);
        fflush(stdout);
        return 0;
    }
    fprintf(stderr, "unknown family %s\n", argv[1]);
    return 1;
}

#endif /* VECTORS_NO_RUNNER */
