/*
 * entry.S - switch from the harness into the instruction under test and back.
 *
 * run_test() loads every general register and EFLAGS from in_block, sets ESP
 * to in_esp and jumps to the code page (0x00001000).  Nothing returns from
 * there directly: the instruction ends either on an INT3 landing pad or on an
 * exception, the signal handler in harness.c copies the state out of the
 * ucontext and rewrites it so that sigreturn resumes at resume_point with
 * ESP = saved_esp, which unwinds back into the C caller.
 */
        .intel_syntax noprefix
        .text

        .globl  run_test
        .type   run_test, @function
run_test:
        push    ebp
        push    ebx
        push    esi
        push    edi
        mov     dword ptr [saved_esp], esp
        lea     esp, [in_block]         /* EDI ESI EBP (ESP) EBX EDX ECX EAX EFLAGS */
        popad
        popfd
        mov     esp, dword ptr [in_esp]
        jmp     dword ptr [code_entry]

        .globl  resume_point
        .type   resume_point, @function
resume_point:
        mov     esp, dword ptr [saved_esp]
        cld
        pop     edi
        pop     esi
        pop     ebx
        pop     ebp
        ret

        .data
        .align  4
        .globl  in_block, in_esp, saved_esp, code_entry
in_block:
        .fill   9, 4, 0
in_esp:
        .long   0
saved_esp:
        .long   0
code_entry:
        .long   0x00001000

        .section .note.GNU-stack,"",@progbits
