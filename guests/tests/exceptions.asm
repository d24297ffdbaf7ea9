; exceptions: vectors, error codes and saved EIPs of the processor exceptions.
;
; Faults must report the faulting instruction, traps the next one. Covered:
;   #DE  div by zero, idiv overflow, 8-bit div overflow (registers unchanged)
;   #DB  single step after POPF sets TF (DR6.BS)
;   #BP  int3 and int 3 (traps)            #OF  into with OF=1 (trap), OF=0 (nothing)
;   #BR  bound out of range (fault)        #UD  ud2, lock nop, mov cs, lea reg-reg, ud0
;   #NM  x87 instruction with CR0.TS=1 and with CR0.EM=1
;   #GP  selector beyond the GDT limit, execute-only code into DS, null SS, code into SS,
;        far jump to a data segment, software INT to a vector past the IDT limit or
;        through an invalid gate type (IDT error codes)
;   #NP  not-present data segment into DS, far jump to a not-present code segment, INT
;        through a not-present gate
;   #SS  not-present segment into SS
;   #PF  not-present read/write and WP write (error code bits, CR2)
; and that an interrupt gate clears IF while a trap gate keeps it.

%define TEST_NAME "exceptions"
%include "lib.inc"

SEL_NP_DATA   equ 0x30          ; data, not present
SEL_XO_CODE   equ 0x38          ; execute-only code
SEL_NP_CODE   equ 0x40          ; code, not present

section .text
test_main:
    ; extra descriptors
    mov eax, SEL_NP_DATA
    xor ebx, ebx
    mov ecx, 0xFFFFF
    mov edx, 0xC012                         ; data RW, P = 0
    call lib_set_desc
    mov eax, SEL_XO_CODE
    mov edx, 0xC098                         ; code execute-only
    call lib_set_desc
    mov eax, SEL_NP_CODE
    mov edx, 0xC01A                         ; code, P = 0
    call lib_set_desc

    ; ---- #DE
    mov eax, 1234
    xor edx, edx
    xor ecx, ecx
    EXPECT_FAULT 0, NOERR, 1, div ecx
    CHECK_EQ eax, 1234, 1, "EAX changed by the faulting div"
    mov eax, 0x80000000
    mov edx, 0xFFFFFFFF
    mov ecx, 0xFFFFFFFF
    EXPECT_FAULT 0, NOERR, 1, idiv ecx
    CHECK_EQ eax, 0x80000000, 1, "EAX changed by the faulting idiv"
    CHECK_EQ edx, 0xFFFFFFFF, 1, "EDX changed by the faulting idiv"
    mov eax, 0x1000
    mov bl, 2
    EXPECT_FAULT 0, NOERR, 1, div bl
    CHECK_EQ eax, 0x1000, 1, "AX changed by the faulting 8-bit div"
    OK "#DE"

    ; ---- #DB: single step and ICEBP
    mov dword [exc_hook], db_hook
    mov dword [exc_vector], 0xFFFFFFFF
    pushfd
    or dword [esp], EFL_TF
    popfd
    nop                                     ; executes, then the trap
.after_step:
    nop
    mov dword [exc_hook], 0
    CHECK_EQ [exc_vector], 1, 2, "single step: vector"
    CHECK_EQ [exc_eip], .after_step, 2, "single step: saved EIP is after the stepped instruction"
    mov eax, [db_dr6]
    and eax, 0x4000
    CHECK_EQ eax, 0x4000, 2, "single step: DR6.BS"
    CHECK_EQ [db_count], 1, 2, "single step: exactly one #DB"
    pushfd
    pop eax
    and eax, EFL_TF
    CHECK_EQ eax, 0, 2, "TF clear after the handler removed it"
    OK "#DB (single step)"

    ; ---- #BP and #OF (traps)
    EXPECT_TRAP 3, NOERR, 3, int3
    EXPECT_TRAP 3, NOERR, 3, int 3
    mov al, 0x7F
    add al, 1                               ; OF = 1
    EXPECT_TRAP 4, NOERR, 4, into
    xor eax, eax                            ; OF = 0
    EXPECT_NO_FAULT 4, into
    OK "#BP, #OF"

    ; ---- #BR
    mov eax, 25
    EXPECT_FAULT 5, NOERR, 5, bound eax, [bounds]
    mov eax, 15
    EXPECT_NO_FAULT 5, bound eax, [bounds]
    mov eax, 20
    EXPECT_NO_FAULT 5, bound eax, [bounds]
    mov eax, 9
    EXPECT_FAULT 5, NOERR, 5, bound eax, [bounds]
    OK "#BR"

    ; ---- #UD
    EXPECT_FAULT 6, NOERR, 6, ud2
    EXPECT_FAULT 6, NOERR, 6, db 0xF0, 0x90                  ; lock nop
    EXPECT_FAULT 6, NOERR, 6, db 0x8E, 0xC8                  ; mov cs, ax
    EXPECT_FAULT 6, NOERR, 6, db 0x8D, 0xC0                  ; lea eax, eax
    EXPECT_FAULT 6, NOERR, 6, db 0x0F, 0xFF, 0xC0            ; ud0
    OK "#UD"

    ; ---- #NM
    mov eax, cr0
    and eax, ~(CR0_EM | CR0_TS)
    or eax, CR0_MP
    mov cr0, eax
    fninit
    mov eax, cr0
    or eax, CR0_TS
    mov cr0, eax
    EXPECT_FAULT 7, NOERR, 7, fld1
    EXPECT_FAULT 7, NOERR, 7, fwait                          ; MP=1 and TS=1
    clts
    EXPECT_NO_FAULT 7, fld1
    fstp st0
    mov eax, cr0
    or eax, CR0_EM
    mov cr0, eax
    EXPECT_FAULT 7, NOERR, 7, fldz
    mov eax, cr0
    and eax, ~CR0_EM
    mov cr0, eax
    OK "#NM"

    ; ---- #GP
    mov ax, 0x1237
    EXPECT_FAULT 13, 0x1234, 8, mov ds, ax
    mov ax, SEL_XO_CODE
    EXPECT_FAULT 13, SEL_XO_CODE, 8, mov ds, ax
    xor eax, eax
    EXPECT_FAULT 13, 0, 8, mov ss, ax
    mov ax, SEL_CODE0
    EXPECT_FAULT 13, SEL_CODE0, 8, mov ss, ax
    mov ax, SEL_DATA3
    EXPECT_FAULT 13, SEL_DATA3 & ~3, 8, mov ss, ax                ; RPL/DPL 3 != CPL 0
    EXPECT_FAULT 13, SEL_DATA0, 8, jmp SEL_DATA0:0
    ; (reserved CR4 bits and CR0.PG without PE are #GP(0) per the SDM, but QEMU 7.2's TCG
    ; does not raise them, so they are not checked here)
    ; software INT: vector past the IDT limit, then an invalid gate type
    sidt [saved_idtr]
    mov word [short_idtr], 0x80 * 8 - 1
    mov eax, [saved_idtr + 2]
    mov [short_idtr + 2], eax
    lidt [short_idtr]
    EXPECT_FAULT 13, 0x90 * 8 + 2, 10, int 0x90
    lidt [saved_idtr]
    EXPECT_FAULT 13, 0xA0 * 8 + 2, 10, int 0xA0                ; all-zero entry: bad type
    mov ax, ds
    movzx eax, ax
    CHECK_EQ eax, SEL_DATA0, 10, "DS unchanged by the faulting loads"
    OK "#GP (selectors, IDT)"

    ; ---- #NP and #SS
    mov ax, SEL_NP_DATA
    EXPECT_FAULT 11, SEL_NP_DATA, 11, mov ds, ax
    EXPECT_FAULT 11, SEL_NP_CODE, 11, jmp SEL_NP_CODE:0
    mov eax, 0xA1
    mov ebx, np_handler
    mov ecx, SEL_CODE0
    mov dl, 0x0E                            ; 32-bit interrupt gate, P = 0
    call lib_set_gate
    EXPECT_FAULT 11, 0xA1 * 8 + 2, 11, int 0xA1
    mov ax, SEL_NP_DATA
    EXPECT_FAULT 12, SEL_NP_DATA, 12, mov ss, ax
    mov ax, ss
    movzx eax, ax
    CHECK_EQ eax, SEL_DATA0, 12, "SS unchanged by the faulting load"
    OK "#NP, #SS"

    ; ---- interrupt gate vs trap gate
    mov eax, 0x81
    mov ebx, flags_handler
    mov ecx, SEL_CODE0
    mov dl, GATE_INT0
    call lib_set_gate
    mov eax, 0x82
    mov dl, GATE_TRAP0
    call lib_set_gate
    sti                                     ; the PICs are masked
    int 0x81
    cli
    mov eax, [seen_flags]
    and eax, EFL_IF
    CHECK_EQ eax, 0, 13, "IF inside an interrupt-gate handler"
    mov eax, [seen_pushed]
    and eax, EFL_IF
    CHECK_EQ eax, EFL_IF, 13, "IF in the EFLAGS image pushed by int"
    sti
    int 0x82
    cli
    mov eax, [seen_flags]
    and eax, EFL_IF
    CHECK_EQ eax, EFL_IF, 13, "IF inside a trap-gate handler"
    OK "interrupt gate clears IF, trap gate keeps it"

    ; ---- #PF
    mov eax, PG_P | PG_RW
    call lib_identity_paging
    mov eax, np_page
    shr eax, 12
    mov dword [lib_pts + eax * 4], 0                        ; not present
    mov eax, ro_page
    shr eax, 12
    and dword [lib_pts + eax * 4], ~PG_RW                   ; read-only
    call lib_enable_paging
    mov eax, cr0
    or eax, CR0_WP
    mov cr0, eax
    EXPECT_FAULT 14, 0, 14, mov eax, [np_page + 0x10]
    CHECK_EQ [exc_cr2], np_page + 0x10, 14, "CR2 after a read of a not-present page"
    EXPECT_FAULT 14, 2, 14, mov dword [np_page + 0x20], 0
    CHECK_EQ [exc_cr2], np_page + 0x20, 14, "CR2 after a write to a not-present page"
    EXPECT_FAULT 14, 3, 14, mov dword [ro_page + 0x30], 0
    CHECK_EQ [exc_cr2], ro_page + 0x30, 14, "CR2 after a write to a read-only page"
    EXPECT_FAULT 14, 3, 14, add dword [ro_page + 0x34], 1   ; read-modify-write
    EXPECT_NO_FAULT 14, mov eax, [ro_page + 0x30]
    mov esi, ro_page
    mov edi, np_page + 0x100
    mov ecx, 4
    EXPECT_FAULT 14, 2, 15, rep movsd
    CHECK_EQ ecx, 4, 15, "rep movsd faulting on its first store keeps ECX"
    CHECK_EQ edi, np_page + 0x100, 15, "rep movsd faulting on its first store keeps EDI"
    mov eax, cr0
    and eax, ~CR0_WP
    mov cr0, eax
    call lib_disable_paging
    OK "#PF error codes and CR2"

    mov eax, [exc_count]
    call lib_putdec
    PRINT " exceptions taken", 10
    ret

; exc_hook for single stepping: record DR6, clear TF in the saved EFLAGS, resume
db_hook:
    cmp dword [ebx + FRAME_VECTOR], 1
    jne .no
    inc dword [db_count]
    mov eax, dr6
    mov [db_dr6], eax
    and dword [ebx + FRAME_EFLAGS], ~EFL_TF
    mov eax, 1
    ret
.no:
    xor eax, eax
    ret

flags_handler:
    pushfd
    pop dword [seen_flags]
    push eax
    mov eax, [esp + 12]                     ; pushed EFLAGS (after EIP, CS)
    mov [seen_pushed], eax
    pop eax
    iretd

np_handler:
    iretd

section .data
align 4
bounds:     dd 10, 20
db_dr6:     dd 0
db_count:   dd 0
seen_flags: dd 0
seen_pushed: dd 0
align 4
            dw 0
saved_idtr: dw 0
            dd 0
align 4
            dw 0
short_idtr: dw 0
            dd 0

section .bss
alignb 4096
np_page:    resb 4096
ro_page:    resb 4096
