; c8_privileged: a ring 0 loop of privileged and flag-changing instructions.
;
; Each of ITERATIONS rounds checks, with paging on:
;   cli / sti / pushfd (IF), popfd setting and clearing IF, IOPL and the arithmetic flags;
;   mov to/from CR0 toggling TS (and clts) and WP, read back (ET stays set);
;   mov to CR3 alternating between two page directories that differ only in what linear
;   0x40000000 maps to (page "A" or page "B"): the read after every switch must see the new
;   mapping, and CR3 must read back;
;   mov to/from CR4 toggling PGE and TSD;
;   mov to/from DR0-DR3.
; A stale translation, a lost flag or a wrong read-back fails the round it happens in.

%define TEST_NAME "c8_privileged"
%include "lib.inc"

ITERATIONS equ 20000
PROBE      equ 0x40000000

section .text
test_main:
    mov eax, (1 << 13)                      ; PGE
    call lib_require_cpuid_edx
    ; two directories sharing the identity tables, differing at PROBE
    mov eax, PG_P | PG_RW
    call lib_identity_paging
    mov esi, lib_pd
    mov edi, pd_a
    mov ecx, 1024
    rep movsd
    mov esi, lib_pd
    mov edi, pd_b
    mov ecx, 1024
    rep movsd
    mov eax, pt_a
    or eax, PG_P | PG_RW
    mov [pd_a + (PROBE >> 22) * 4], eax
    mov eax, pt_b
    or eax, PG_P | PG_RW
    mov [pd_b + (PROBE >> 22) * 4], eax
    mov eax, page_a
    or eax, PG_P | PG_RW
    mov [pt_a], eax
    mov eax, page_b
    or eax, PG_P | PG_RW
    mov [pt_b], eax
    mov dword [page_a], 'AAAA'
    mov dword [page_b], 'BBBB'
    mov eax, pd_a
    mov cr3, eax
    mov eax, cr0
    or eax, CR0_PG
    mov cr0, eax

    xor ebp, ebp                            ; round
.round:
    ; ---- IF through cli/sti/popf
    cli
    pushfd
    pop eax
    and eax, EFL_IF
    CHECK_EQ eax, 0, 1, "IF after cli"
    sti
    pushfd
    pop eax
    and eax, EFL_IF
    CHECK_EQ eax, EFL_IF, 1, "IF after sti"
    push dword 0x2                          ; everything clear
    popfd
    pushfd
    pop eax
    CHECK_EQ eax, 0x2, 2, "EFLAGS after popfd 0x2"
    mov eax, ebp
    and eax, EFL_CF | 0x4 | 0x10 | 0x40 | 0x80 | EFL_OF      ; round-dependent arithmetic flags
    or eax, EFL_IF | EFL_IOPL | 0x2
    push eax
    popfd
    pushfd
    pop edx
    CHECK_EQ edx, eax, 2, "EFLAGS after popfd with IF, IOPL 3 and round-dependent flags"
    push dword 0x2
    popfd

    ; ---- CR0
    mov eax, cr0
    mov ebx, eax
    or eax, CR0_TS
    mov cr0, eax
    mov edx, cr0
    CHECK_EQ edx, eax, 3, "CR0 with TS set"
    clts
    mov edx, cr0
    CHECK_EQ edx, ebx, 3, "CR0 after clts"
    mov eax, ebx
    xor eax, CR0_WP
    mov cr0, eax
    mov edx, cr0
    CHECK_EQ edx, eax, 3, "CR0 with WP toggled"
    mov cr0, ebx
    mov edx, cr0
    and edx, 0x10                           ; ET
    CHECK_EQ edx, 0x10, 3, "CR0.ET"

    ; ---- CR3: alternate directories, the mapping must follow
    mov eax, pd_b
    mov cr3, eax
    mov edx, cr3
    CHECK_EQ edx, pd_b, 4, "CR3 read back (B)"
    mov eax, [PROBE]
    CHECK_EQ eax, 'BBBB', 4, "PROBE after switching to directory B"
    mov eax, pd_a
    mov cr3, eax
    mov edx, cr3
    CHECK_EQ edx, pd_a, 4, "CR3 read back (A)"
    mov eax, [PROBE]
    CHECK_EQ eax, 'AAAA', 4, "PROBE after switching to directory A"

    ; ---- CR4
    mov eax, cr4
    mov ebx, eax
    xor eax, CR4_PGE | CR4_TSD
    mov cr4, eax
    mov edx, cr4
    CHECK_EQ edx, eax, 5, "CR4 with PGE/TSD toggled"
    mov eax, [PROBE]
    CHECK_EQ eax, 'AAAA', 5, "PROBE after a CR4 write"
    mov cr4, ebx
    mov edx, cr4
    CHECK_EQ edx, ebx, 5, "CR4 restored"

    ; ---- debug registers
    mov eax, ebp
    mov dr0, eax
    lea ebx, [eax + 0x1000]
    mov dr1, ebx
    lea ecx, [eax + 0x2000]
    mov dr2, ecx
    lea edx, [eax + 0x3000]
    mov dr3, edx
    mov esi, dr0
    CHECK_EQ esi, eax, 6, "DR0 read back"
    mov esi, dr1
    CHECK_EQ esi, ebx, 6, "DR1 read back"
    mov esi, dr2
    CHECK_EQ esi, ecx, 6, "DR2 read back"
    mov esi, dr3
    CHECK_EQ esi, edx, 6, "DR3 read back"

    inc ebp
    cmp ebp, ITERATIONS
    jb .round

    cli
    xor eax, eax
    mov dr0, eax
    mov dr1, eax
    mov dr2, eax
    mov dr3, eax
    mov eax, cr0
    and eax, ~CR0_PG
    mov cr0, eax
    mov eax, ebp
    call lib_putdec
    PRINT " rounds", 10
    ret

section .bss
alignb 4096
pd_a:   resb 4096
pd_b:   resb 4096
pt_a:   resb 4096
pt_b:   resb 4096
page_a: resb 4096
page_b: resb 4096
