; c2_ring_compression: ring 3 must not be able to do what ring 0 does.
;
; With paging on (all pages user-accessible except one supervisor page and one read-only
; user page), ring 3 at IOPL 0 executes every privileged instruction and expects #GP(0):
;   cli, sti, hlt, lgdt, lidt, lldt, ltr, mov to/from CR0/CR2/CR3/CR4, mov to/from DR7,
;   wrmsr, rdmsr, in/out (imm8 and DX forms, ins/outs) without I/O permission, invlpg,
;   clts, lmsw, wbinvd, invd, rdpmc (CR4.PCE = 0), rdtsc (CR4.TSD = 1);
; selector and gate checks: int3/int 0x81 through DPL 0 gates (#GP(vector*8+2)), loading a
; DPL 0 data segment into DS or SS, far jmp/call to DPL 0 code (#GP(selector)); ud2 is
; still #UD; popf cannot change IF or IOPL; user reads/writes of the supervisor page and
; writes to the read-only page are #PF with error codes 5 / 7 / 7 and CR2 set.
; Then at IOPL 3: cli/sti/in/out and popf of IF are allowed, hlt and CR access still fault.
; Then at IOPL 0 with a TSS I/O bitmap allowing ports 0x80-0x81 only: byte and word accesses
; inside are allowed, a word access at 0x81 (touching 0x82) and byte access at 0x7f fault.

%define TEST_NAME "c2_ring_compression"
%include "lib.inc"

SEL_TSS_IO equ 0x30
IO_BITMAP_BYTES equ 128                     ; ports 0x000-0x3ff

section .text
test_main:
    call lib_setup_tss
    mov eax, 0x81
    mov ebx, dummy_handler
    mov ecx, SEL_CODE0
    mov dl, GATE_INT0
    call lib_set_gate

    mov eax, PG_P | PG_RW | PG_US
    call lib_identity_paging
    mov eax, sup_page
    shr eax, 12
    and dword [lib_pts + eax * 4], ~PG_US
    mov eax, ro_page
    shr eax, 12
    and dword [lib_pts + eax * 4], ~PG_RW
    call lib_enable_paging
    mov eax, cr4
    or eax, CR4_TSD
    and eax, ~CR4_PCE
    mov cr4, eax

    ; ---- IOPL 0
    mov eax, user_iopl0
    mov ebx, user_stack_top
    mov ecx, 0x202
    call lib_enter_ring3
    CHECK_EQ eax, 0xC0DE0, 1, "ring 3 (IOPL 0) did not finish"
    OK "privileged instructions fault in ring 3 with IOPL 0"

    mov eax, cr4
    and eax, ~CR4_TSD
    mov cr4, eax

    ; ---- IOPL 3
    mov eax, user_iopl3
    mov ebx, user_stack_top
    mov ecx, 0x3202
    call lib_enter_ring3
    CHECK_EQ eax, 0xC0DE3, 2, "ring 3 (IOPL 3) did not finish"
    OK "IOPL 3 allows cli/sti/in/out, not hlt or CR access"

    ; ---- I/O permission bitmap
    mov edi, tss_io
    mov ecx, tss_io_end - tss_io
    mov al, 0xFF
    rep stosb
    mov edi, tss_io
    mov ecx, 104
    xor al, al
    rep stosb
    mov dword [tss_io + 4], lib_kstack_top
    mov dword [tss_io + 8], SEL_DATA0
    mov dword [tss_io + 28], lib_pd
    mov word [tss_io + 102], 104
    and byte [tss_io + 104 + 0x80 / 8], ~0x03          ; ports 0x80, 0x81 allowed
    mov eax, SEL_TSS_IO
    mov ebx, tss_io
    mov ecx, tss_io_end - tss_io - 1
    mov edx, ATTR_TSS32
    call lib_set_desc
    mov ax, SEL_TSS_IO
    ltr ax
    mov eax, user_iobitmap
    mov ebx, user_stack_top
    mov ecx, 0x202
    call lib_enter_ring3
    CHECK_EQ eax, 0xC0DEB, 3, "ring 3 (I/O bitmap) did not finish"
    OK "TSS I/O permission bitmap"

    call lib_disable_paging
    ret

dummy_handler:
    iretd

; -------------------------------------------------------------------------------------
; ring 3, IOPL 0

user_iopl0:
    EXPECT_FAULT 13, 0, 10, cli
    EXPECT_FAULT 13, 0, 10, sti
    EXPECT_FAULT 13, 0, 10, hlt
    EXPECT_FAULT 13, 0, 11, lgdt [scratch]
    EXPECT_FAULT 13, 0, 11, lidt [scratch]
    xor eax, eax
    EXPECT_FAULT 13, 0, 11, lldt ax
    mov ax, SEL_TSS0
    EXPECT_FAULT 13, 0, 11, ltr ax
    EXPECT_FAULT 13, 0, 12, mov eax, cr0
    EXPECT_FAULT 13, 0, 12, mov cr0, eax
    EXPECT_FAULT 13, 0, 12, mov eax, cr2
    EXPECT_FAULT 13, 0, 12, mov eax, cr3
    EXPECT_FAULT 13, 0, 12, mov cr3, eax
    EXPECT_FAULT 13, 0, 12, mov eax, cr4
    EXPECT_FAULT 13, 0, 12, mov cr4, eax
    EXPECT_FAULT 13, 0, 13, mov eax, dr7
    xor eax, eax
    EXPECT_FAULT 13, 0, 13, mov dr7, eax
    mov ecx, 0x10                           ; TSC
    EXPECT_FAULT 13, 0, 14, rdmsr
    EXPECT_FAULT 13, 0, 14, wrmsr
    EXPECT_FAULT 13, 0, 15, in al, 0x80
    EXPECT_FAULT 13, 0, 15, out 0x80, al
    mov dx, 0x80
    EXPECT_FAULT 13, 0, 15, in eax, dx
    EXPECT_FAULT 13, 0, 15, out dx, ax
    mov edi, scratch
    mov esi, scratch
    EXPECT_FAULT 13, 0, 15, insb
    EXPECT_FAULT 13, 0, 15, outsb
    EXPECT_FAULT 13, 0, 16, invlpg [scratch]
    EXPECT_FAULT 13, 0, 16, clts
    mov ax, 0x11
    EXPECT_FAULT 13, 0, 16, lmsw ax
    EXPECT_FAULT 13, 0, 16, wbinvd
    EXPECT_FAULT 13, 0, 16, invd
    xor ecx, ecx
    EXPECT_FAULT 13, 0, 17, rdpmc
    EXPECT_FAULT 13, 0, 17, rdtsc           ; CR4.TSD = 1

    ; gates and selectors
    EXPECT_FAULT 13, 3 * 8 + 2, 18, int3
    EXPECT_FAULT 13, 3 * 8 + 2, 18, int 3
    EXPECT_FAULT 13, 0x81 * 8 + 2, 18, int 0x81
    mov ax, SEL_DATA0
    EXPECT_FAULT 13, SEL_DATA0, 19, mov ds, ax
    EXPECT_FAULT 13, SEL_DATA0, 19, mov ss, ax
    EXPECT_FAULT 13, SEL_CODE0, 19, jmp SEL_CODE0:0
    EXPECT_FAULT 13, SEL_CODE0, 19, call SEL_CODE0:0
    EXPECT_FAULT 6, NOERR, 19, ud2
    mov eax, ds
    movzx eax, ax
    CHECK_EQ eax, SEL_DATA3, 19, "DS unchanged after the faulting load"

    ; popf cannot change IF or IOPL at CPL 3 / IOPL 0 (no fault)
    push dword 0x3002                       ; IF = 0, IOPL = 3
    EXPECT_NO_FAULT 20, popfd
    pushfd
    pop eax
    and eax, EFL_IF | EFL_IOPL
    CHECK_EQ eax, EFL_IF, 20, "popf in ring 3 changed IF or IOPL"

    ; paging: supervisor page and read-only page
    EXPECT_FAULT 14, 5, 21, mov eax, [sup_page + 0x40]
    CHECK_EQ [exc_cr2], sup_page + 0x40, 21, "CR2 after the user read of a supervisor page"
    EXPECT_FAULT 14, 7, 21, mov dword [sup_page + 0x44], 1
    CHECK_EQ [exc_cr2], sup_page + 0x44, 21, "CR2 after the user write of a supervisor page"
    EXPECT_NO_FAULT 22, mov eax, [ro_page]
    EXPECT_FAULT 14, 7, 22, mov dword [ro_page + 8], 1
    CHECK_EQ [exc_cr2], ro_page + 8, 22, "CR2 after the user write of a read-only page"
    mov esi, sup_page
    mov edi, scratch
    mov ecx, 1
    EXPECT_FAULT 14, 5, 22, rep movsb

    mov eax, 0xC0DE0
    RETURN_TO_RING0

; -------------------------------------------------------------------------------------
; ring 3, IOPL 3

user_iopl3:
    EXPECT_NO_FAULT 30, cli
    pushfd
    pop eax
    and eax, EFL_IF
    CHECK_EQ eax, 0, 30, "cli with IOPL 3"
    EXPECT_NO_FAULT 30, sti
    pushfd
    pop eax
    and eax, EFL_IF
    CHECK_EQ eax, EFL_IF, 30, "sti with IOPL 3"
    push dword 0x3002
    popfd
    pushfd
    pop eax
    and eax, EFL_IF | EFL_IOPL
    CHECK_EQ eax, EFL_IOPL, 31, "popf with IOPL 3 changes IF but not IOPL"
    push dword 0x0202
    popfd
    pushfd
    pop eax
    and eax, EFL_IF | EFL_IOPL
    CHECK_EQ eax, EFL_IF | EFL_IOPL, 31, "popf at CPL 3 must not lower IOPL"
    mov al, 0x42
    EXPECT_NO_FAULT 32, out 0x80, al
    EXPECT_NO_FAULT 32, in al, 0x80
    EXPECT_FAULT 13, 0, 33, hlt
    EXPECT_FAULT 13, 0, 33, mov eax, cr0
    EXPECT_FAULT 13, 0, 33, lidt [scratch]
    EXPECT_NO_FAULT 33, rdtsc               ; CR4.TSD = 0 now
    mov eax, 0xC0DE3
    RETURN_TO_RING0

; -------------------------------------------------------------------------------------
; ring 3, IOPL 0, I/O bitmap allows 0x80-0x81

user_iobitmap:
    mov al, 1
    EXPECT_NO_FAULT 40, out 0x80, al
    EXPECT_NO_FAULT 40, in al, 0x81
    EXPECT_NO_FAULT 40, in ax, 0x80
    EXPECT_FAULT 13, 0, 41, in ax, 0x81                      ; also needs 0x82
    EXPECT_FAULT 13, 0, 41, out 0x7F, al
    EXPECT_FAULT 13, 0, 41, in eax, 0x80                     ; 0x80-0x83
    mov dx, 0x3F8
    EXPECT_FAULT 13, 0, 41, out dx, al
    mov dx, 0x1000                          ; beyond the bitmap (TSS limit)
    EXPECT_FAULT 13, 0, 41, in al, dx
    EXPECT_FAULT 13, 0, 42, cli             ; IOPL still 0
    mov eax, 0xC0DEB
    RETURN_TO_RING0

section .bss
alignb 4096
sup_page:       resb 4096
ro_page:        resb 4096
alignb 16
scratch:        resb 64
user_stack:     resb 8192
user_stack_top:
alignb 16
tss_io:         resb 104 + IO_BITMAP_BYTES + 1
tss_io_end:
