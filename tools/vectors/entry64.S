/*
 * entry64.S - entry and exit of the SIMD harness (simd.c), a 64-bit program.
 *
 * run_simd() saves the host's FPU/SSE state, loads the test's x87/MMX/SSE
 * state with FXRSTOR from simd_fx_in, loads the eight general registers
 * (zero-extended) and RFLAGS from simd_regs, sets ESP (RSP, zero-extended)
 * and jumps to the code page (0x00001000).  The instruction ends on an INT3
 * landing pad or on an exception; the signal handler in simd.c copies the
 * registers out of the ucontext and redirects RIP to simd_resume, where
 * the kernel has restored the instruction's FPU/SSE state: FXSAVE stores it
 * to simd_fx_out and FNSTENV the x87 environment (for the full tag word) to
 * simd_env_out, then the host state and the C stack are restored.  Neither
 * checks for a pending x87 exception, so an instruction that left one (ES
 * set) is recorded as it left the state.
 */
        .intel_syntax noprefix
        .text

        .globl  run_simd
        .type   run_simd, @function
run_simd:
        push    rbp
        push    rbx
        push    r12
        push    r13
        push    r14
        push    r15
        mov     qword ptr [rip + simd_saved_rsp], rsp
        fxsave  [rip + simd_fx_host]
        fxrstor [rip + simd_fx_in]
        lea     rsp, [rip + simd_regs]  /* RDI RSI RBP (RSP) RBX RDX RCX RAX RFLAGS */
        pop     rdi
        pop     rsi
        pop     rbp
        pop     rbx                     /* the unused ESP slot */
        pop     rbx
        pop     rdx
        pop     rcx
        pop     rax
        popfq
        mov     esp, dword ptr [rip + simd_esp]
        jmp     qword ptr [rip + simd_code_entry]

        .globl  simd_resume
        .type   simd_resume, @function
simd_resume:
        fxsave  [rip + simd_fx_out]
        fnstenv [rip + simd_env_out]    /* the full tag word; masks all x87 exceptions */
        mov     rsp, qword ptr [rip + simd_saved_rsp]
        fxrstor [rip + simd_fx_host]
        cld
        pop     r15
        pop     r14
        pop     r13
        pop     r12
        pop     rbx
        pop     rbp
        ret

        .data
        .align  16
        .globl  simd_fx_in, simd_fx_out, simd_fx_host, simd_env_out
simd_fx_in:
        .fill   512, 1, 0
simd_fx_out:
        .fill   512, 1, 0
simd_fx_host:
        .fill   512, 1, 0
simd_env_out:
        .fill   32, 1, 0
        .align  8
        .globl  simd_regs, simd_esp, simd_saved_rsp, simd_code_entry
simd_regs:
        .fill   9, 8, 0
simd_esp:
        .long   0
        .long   0
simd_saved_rsp:
        .quad   0
simd_code_entry:
        .quad   0x00001000

        .section .note.GNU-stack,"",@progbits
