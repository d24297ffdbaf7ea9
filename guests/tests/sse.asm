; sse: the SSE state rules and a little arithmetic (SDM Vol. 1 ch. 10-13, Vol. 3 13.1).
;
;   (a) CPUID.1: MMX, FXSR, SSE, SSE2 (EDX) and SSE3 (ECX) are reported;
;   (b) with CR4.OSFXSR clear, ADDPS is #UD; MMX still runs;
;   (c) with CR0.EM set, ADDPS and PADDB are #UD; with CR0.TS set both are #NM;
;   (e) FXSAVE puts MXCSR at 24, a non-zero MXCSR_MASK at 28, XMM3 at 208; FXRSTOR of an
;       edited image loads XMM3 and MXCSR;
;   (f) arithmetic: CVTSI2SD, SQRTSD, MULSD, CVTSD2SI (round to nearest even, then with
;       RC = down through MXCSR), ADDPS on four lanes, PMADDWD, PSHUFD, PACKUSWB;
;   (g) MMX aliases the x87 registers: after MOVQ no x87 register is empty (FXSAVE's
;       abridged tag byte 0xFF) and TOP is 0, MM0 reads back as the significand of physical
;       register 0 (FSAVE image); EMMS empties them all;
;   (d) last (QEMU 7.2's TCG does none of these, so it stops here): the MOVQ of (g) set the
;       register's exponent field to all ones; LDMXCSR with a reserved bit is #GP; an unmasked divide-by-zero in DIVPS is #UD without CR4.OSXMMEXCPT and #XM (19) with
;       it; MXCSR then has ZE, the destination is unchanged; masked, the result is infinity.

%define TEST_NAME "sse"
%include "lib.inc"

CR4_OSFXSR     equ 0x200
CR4_OSXMMEXCPT equ 0x400
MXCSR_DEFAULT  equ 0x1F80
MXCSR_ZM       equ 0x200                ; divide-by-zero mask
MXCSR_ZE       equ 0x4

section .text
test_main:
    ; ---- (a)
    mov eax, 1
    cpuid
    mov eax, edx
    and eax, (1 << 23) | (1 << 24) | (1 << 25) | (1 << 26)
    CHECK_EQ eax, (1 << 23) | (1 << 24) | (1 << 25) | (1 << 26), 1, "CPUID.1:EDX MMX FXSR SSE SSE2"
    and ecx, 1
    CHECK_EQ ecx, 1, 1, "CPUID.1:ECX SSE3"
    OK "CPUID reports MMX, FXSR, SSE, SSE2, SSE3"

    ; ---- (b) no OSFXSR
    mov eax, cr0
    and eax, ~(CR0_EM | CR0_TS)
    or eax, CR0_MP
    mov cr0, eax
    mov eax, cr4
    and eax, ~(CR4_OSFXSR | CR4_OSXMMEXCPT)
    mov cr4, eax
    EXPECT_FAULT 6, NOERR, 2, addps xmm0, xmm1
    EXPECT_NO_FAULT 2, paddb mm0, mm1
    emms
    OK "CR4.OSFXSR clear: SSE is #UD, MMX runs"

    ; ---- (c) CR0.EM and CR0.TS
    mov eax, cr4
    or eax, CR4_OSFXSR
    mov cr4, eax
    mov eax, cr0
    or eax, CR0_EM
    mov cr0, eax
    EXPECT_FAULT 6, NOERR, 3, addps xmm0, xmm1
    EXPECT_FAULT 6, NOERR, 3, paddb mm0, mm1
    mov eax, cr0
    and eax, ~CR0_EM
    or eax, CR0_TS
    mov cr0, eax
    EXPECT_FAULT 7, NOERR, 3, addps xmm0, xmm1
    EXPECT_FAULT 7, NOERR, 3, paddb mm0, mm1
    clts
    EXPECT_NO_FAULT 3, addps xmm0, xmm1
    OK "CR0.EM: #UD; CR0.TS: #NM"

    ; ---- (e) FXSAVE / FXRSTOR / LDMXCSR
    movdqu xmm3, [pattern]
    mov dword [mxcsr_tmp], MXCSR_DEFAULT | 0x6000      ; RC = toward zero
    ldmxcsr [mxcsr_tmp]
    fxsave [fx]
    CHECK_EQ [fx + 24], MXCSR_DEFAULT | 0x6000, 5, "FXSAVE: MXCSR at 24"
    mov eax, [fx + 28]
    test eax, eax
    jnz .mask_ok
    FAIL 5, "FXSAVE: MXCSR_MASK at 28 is zero"
.mask_ok:
    CHECK_EQ [fx + 208], 0x33221100, 5, "FXSAVE: XMM3 at 208"
    CHECK_EQ [fx + 220], 0xFFEEDDCC, 5, "FXSAVE: XMM3 bits 127:96 at 220"
    mov dword [fx + 208], 0xCAFEBABE
    mov dword [fx + 24], MXCSR_DEFAULT
    fxrstor [fx]
    movd eax, xmm3
    CHECK_EQ eax, 0xCAFEBABE, 5, "FXRSTOR loaded XMM3"
    stmxcsr [mxcsr_tmp]
    CHECK_EQ [mxcsr_tmp], MXCSR_DEFAULT, 5, "FXRSTOR loaded MXCSR"
    OK "FXSAVE layout, FXRSTOR"

    ; ---- (f) arithmetic
    mov eax, 2
    cvtsi2sd xmm0, eax
    sqrtsd xmm0, xmm0
    mov eax, 1000000
    cvtsi2sd xmm1, eax
    mulsd xmm0, xmm1                                   ; 1414213.562...
    cvtsd2si eax, xmm0
    CHECK_EQ eax, 1414214, 6, "sqrt(2) * 1e6 rounded to nearest"
    mov dword [mxcsr_tmp], MXCSR_DEFAULT | 0x2000      ; RC = down
    ldmxcsr [mxcsr_tmp]
    cvtsd2si eax, xmm0
    CHECK_EQ eax, 1414213, 6, "rounded down"
    mov dword [mxcsr_tmp], MXCSR_DEFAULT
    ldmxcsr [mxcsr_tmp]
    movaps xmm0, [ones]
    addps xmm0, [ones]
    movups [buf], xmm0
    CHECK_EQ [buf + 8], 0x40000000, 6, "addps: 1 + 1 = 2 in lane 2"
    movdqu xmm1, [words]
    pmaddwd xmm1, [words]                              ; 1*1+2*2, 3*3+4*4, ...
    movdqu [buf], xmm1
    CHECK_EQ [buf + 4], 25, 6, "pmaddwd: 3*3 + 4*4"
    pshufd xmm2, xmm1, 0x1B                            ; reverse the dwords
    movd eax, xmm2
    CHECK_EQ eax, 7 * 7 + 8 * 8, 6, "pshufd: dword 3 first"
    movdqu xmm4, [words]
    packuswb xmm4, xmm4
    movd eax, xmm4
    CHECK_EQ eax, 0x04030201, 6, "packuswb"
    OK "SSE/SSE2 arithmetic, MXCSR rounding"

    ; ---- (g) MMX and the x87 registers
    fninit
    mov dword [buf], 0x89ABCDEF
    mov dword [buf + 4], 0x01234567
    movq mm0, [buf]
    fxsave [fx]
    movzx eax, byte [fx + 4]
    CHECK_EQ eax, 0xFF, 7, "no x87 register empty after an MMX instruction"
    mov eax, [fx + 2]
    and eax, 0x3800
    CHECK_EQ eax, 0, 7, "TOP 0"
    fnsave [env]                                       ; ST(0) = physical 0 = MM0 (TOP is 0)
    CHECK_EQ [env + 28], 0x89ABCDEF, 7, "MM0 is the significand of register 0"
    CHECK_EQ [env + 32], 0x01234567, 7, "MM0 bits 63:32"
    movq mm0, [buf]
    emms
    fxsave [fx]
    movzx eax, byte [fx + 4]
    CHECK_EQ eax, 0, 7, "EMMS: every x87 register empty"
    OK "MMX aliases the x87 registers; EMMS"

    ; ---- (d) MMX writes set the exponent field (SDM 9.5.1), SIMD floating-point exceptions,
    ; LDMXCSR's reserved bits
    mov eax, [env + 36]
    and eax, 0xffff
    CHECK_EQ eax, 0xFFFF, 4, "MMX write: the x87 exponent field all ones"
    mov dword [mxcsr_tmp], 0x10000 | MXCSR_DEFAULT
    EXPECT_FAULT 13, 0, 4, ldmxcsr [mxcsr_tmp]
    mov dword [mxcsr_tmp], MXCSR_DEFAULT & ~MXCSR_ZM
    ldmxcsr [mxcsr_tmp]
    movaps xmm0, [ones]
    xorps xmm1, xmm1
    EXPECT_FAULT 6, NOERR, 4, divps xmm0, xmm1         ; no OSXMMEXCPT: #UD
    mov eax, cr4
    or eax, CR4_OSXMMEXCPT
    mov cr4, eax
    mov dword [mxcsr_tmp], MXCSR_DEFAULT & ~MXCSR_ZM
    ldmxcsr [mxcsr_tmp]
    EXPECT_FAULT 19, NOERR, 4, divps xmm0, xmm1
    stmxcsr [mxcsr_tmp]
    mov eax, [mxcsr_tmp]
    and eax, 0x3f
    CHECK_EQ eax, MXCSR_ZE, 4, "MXCSR: ZE only"
    movups [buf], xmm0
    CHECK_EQ [buf], 0x3F800000, 4, "the destination is unchanged"
    mov dword [mxcsr_tmp], MXCSR_DEFAULT
    ldmxcsr [mxcsr_tmp]
    divps xmm0, xmm1
    movups [buf], xmm0
    CHECK_EQ [buf + 12], 0x7F800000, 4, "masked: 1/0 = +infinity"
    OK "#XM with OSXMMEXCPT, #UD without; nothing written"
    ret


section .data
align 16
ones:    dd 1.0, 1.0, 1.0, 1.0
pattern: dd 0x33221100, 0x77665544, 0xBBAA9988, 0xFFEEDDCC
words:   dw 1, 2, 3, 4, 5, 6, 7, 8
mxcsr_tmp: dd 0

section .bss
alignb 16
buf:  resb 16
fx:   resb 512
env:  resb 108
