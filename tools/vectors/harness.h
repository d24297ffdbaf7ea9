/*
 * harness.h - shared declarations for the 32-bit test-vector harness.
 *
 * See README.md in this directory for the output format.
 */
#ifndef VECTORS_HARNESS_H
#define VECTORS_HARNESS_H

#include <stdint.h>
#include <string.h>

#define CODE_ADDR   0x00001000u
#define DATA_ADDR   0x00200000u
#define STACK_ADDR  0x00300000u
#define WIN         64

/* register numbers, ModRM order */
enum { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI };

/* EFLAGS bits */
#define F_CF 0x0001u
#define F_PF 0x0004u
#define F_AF 0x0010u
#define F_ZF 0x0040u
#define F_SF 0x0080u
#define F_DF 0x0400u
#define F_OF 0x0800u
#define F_ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)
#define F_ALL   (F_ARITH | F_DF)        /* default compare mask 0x00000cd5 */

enum { W_DATA = 0, W_STACK = 1 };

typedef struct {
    uint8_t  code[16];
    int      len;
    uint32_t r[8];
    uint32_t fl;
    uint8_t  w[2][WIN];
    uint32_t fmask;          /* EFLAGS compare mask                         */
    uint32_t rmask;          /* bit n set = register n compared             */
    uint32_t pinned;         /* registers whose value an address depends on */
    int      uses_mem;       /* data window randomised                      */
    int      uses_stack;     /* stack window randomised                     */
} Test;

typedef struct {
    uint32_t r[8];
    uint32_t fl;
    uint8_t  w[2][WIN];
    int32_t  eipd;
    int      vec;
} Result;

/* PRNG and edge-value helpers (harness.c) */
uint32_t rnd(void);
uint32_t rn(uint32_t n);              /* 0..n-1 */
int      chance(int percent);
uint32_t edge(int bits);              /* edge-biased value of 8/16/32 bits */
uint32_t rv(int bits);                /* edge-biased low bits, random upper */
void     seed_family(const char *name);

/* test construction */
void t_init(Test *t);
void emit(Test *t, uint32_t b);
void emit_imm(Test *t, uint32_t v, int bytes);
void rand_window(Test *t, int win);
void put_win(Test *t, int win, int off, uint32_t v, int bytes);
void set_esp(Test *t, uint32_t off);

/*
 * Emit a ModRM (+SIB +displacement) with a memory operand whose effective
 * address lands at an offset in [lo, hi] of a window, and pin the registers
 * involved.  'avoid' is a mask of registers that must not be used in the
 * address.  esp_bias is added to ESP when ESP is the base (POP m).
 * Returns the window offset; *win receives the window index.
 */
int  modrm_mem(Test *t, int reg, int lo, int hi, uint32_t avoid,
               int32_t esp_bias, int *win);
void modrm_reg(Test *t, int reg, int rm);

/* run + print */
int  run_and_print(Test *t);

/* families: each returns number of tests written */
typedef int (*family_fn)(int count);

void fill_page(uint8_t *p, uint32_t seed);
int check_page(const uint8_t *p, uint32_t seed);

#endif
