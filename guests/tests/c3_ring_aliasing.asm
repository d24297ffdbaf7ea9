; c3_ring_aliasing: what ring 0 and ring 3 read back about the machine.
;
; The same probe routine runs in ring 0 and in ring 3 and records: the selector pushed by
; `push cs`, SGDT, SIDT, SLDT, STR, SMSW, EFLAGS (pushfd), LAR and LSL of several selectors
; (GDT code/data of both rings, the busy TSS, an LDT-relative selector, the LDT itself, null)
; with their ZF, and VERR/VERW results. Ring 0 then compares both records with what it set
; up: a guest kernel that believes it runs in ring 0 sees exactly these values, and ring 3
; sees its own CPL in CS and is refused the DPL 0 descriptors.

%define TEST_NAME "c3_ring_aliasing"
%include "lib.inc"

SEL_LDT     equ 0x30
SEL_LDT_D3  equ 0x07                        ; LDT entry 0, TI = 1, RPL 3
LAR_MASK    equ 0x00F0FF00                  ; bits 16-19 of LAR's result are undefined
NOPE        equ 0xDEADDEAD                  ; destination of a failed LAR/LSL stays as is

; ---- the record
%assign nfields 0
%macro FIELD 2
F_%1 equ nfields * 4
[section .rodata]
fname_%1: db %2, 0
__SECT__
%assign nfields nfields + 1
%endmacro
FIELD cs, "push cs"
FIELD gdt_limit, "sgdt limit"
FIELD gdt_base, "sgdt base"
FIELD idt_limit, "sidt limit"
FIELD idt_base, "sidt base"
FIELD ldtr, "sldt"
FIELD tr, "str"
FIELD msw, "smsw"
FIELD msw_mem, "smsw to memory"
FIELD eflags, "pushfd"
FIELD lar_code0, "lar code ring 0"
FIELD lar_code0_zf, "lar code ring 0: ZF"
FIELD lar_code3, "lar code ring 3"
FIELD lar_code3_zf, "lar code ring 3: ZF"
FIELD lar_data3, "lar data ring 3"
FIELD lar_data3_zf, "lar data ring 3: ZF"
FIELD lar_tss, "lar busy TSS"
FIELD lar_tss_zf, "lar busy TSS: ZF"
FIELD lar_ldt_d3, "lar LDT data"
FIELD lar_ldt_d3_zf, "lar LDT data: ZF"
FIELD lar_null, "lar null"
FIELD lar_null_zf, "lar null: ZF"
FIELD lsl_code0, "lsl code ring 0"
FIELD lsl_code0_zf, "lsl code ring 0: ZF"
FIELD lsl_tss, "lsl TSS"
FIELD lsl_tss_zf, "lsl TSS: ZF"
FIELD lsl_ldt, "lsl LDT"
FIELD lsl_ldt_zf, "lsl LDT: ZF"
FIELD lsl_ldt_d3, "lsl LDT data"
FIELD lsl_ldt_d3_zf, "lsl LDT data: ZF"
FIELD verr_code0, "verr code ring 0"
FIELD verw_code0, "verw code ring 0"
FIELD verr_data0, "verr data ring 0"
FIELD verw_data0, "verw data ring 0"
FIELD verr_data3, "verr data ring 3"
FIELD verw_data3, "verw data ring 3"
FIELD verr_code3, "verr code ring 3"
FIELD verw_code3, "verw code ring 3"
RECORD_SIZE equ nfields * 4

; ZF -> EAX (0/1)
%macro ZF_TO_EAX 0
    pushfd
    pop eax
    shr eax, 6
    and eax, 1
%endmacro

; LAR_FIELD name, selector
%macro LAR_FIELD 2
    mov edx, NOPE
    mov ax, %2
    lar edx, ax
    ZF_TO_EAX
    mov [ebx + F_%1_zf], eax
    test eax, eax
    jz %%keep
    and edx, LAR_MASK
%%keep:
    mov [ebx + F_%1], edx
%endmacro

; LSL_FIELD name, selector
%macro LSL_FIELD 2
    mov edx, NOPE
    mov ax, %2
    lsl edx, ax
    ZF_TO_EAX
    mov [ebx + F_%1_zf], eax
    mov [ebx + F_%1], edx
%endmacro

; VER_FIELD name, verr|verw, selector
%macro VER_FIELD 3
    mov ax, %3
    %2 ax
    ZF_TO_EAX
    mov [ebx + F_%1], eax
%endmacro

section .text
test_main:
    call lib_setup_tss
    ; an LDT with one flat ring 3 data descriptor
    mov dword [ldt_table], 0x0000FFFF
    mov dword [ldt_table + 4], 0x00CFF300
    mov eax, SEL_LDT
    mov ebx, ldt_table
    mov ecx, 15
    mov edx, 0x0082
    call lib_set_desc
    mov ax, SEL_LDT
    lldt ax
    mov eax, cr0
    and eax, 0xFFFF
    mov [exp0 + F_msw], eax
    mov [exp3 + F_msw], eax
    mov [exp0 + F_msw_mem], eax
    mov [exp3 + F_msw_mem], eax

    ; ---- ring 0
    mov ebx, rec0
    call probe
    ; ---- ring 3
    mov eax, user_main
    mov ebx, user_stack_top
    mov ecx, 0x202
    call lib_enter_ring3
    CHECK_EQ eax, 0x3333, 1, "ring 3 probe did not finish"

    mov esi, rec0
    mov edi, exp0
    mov eax, 2
    call compare
    OK "ring 0 reads back what it set"
    mov esi, rec3
    mov edi, exp3
    mov eax, 3
    call compare
    OK "ring 3 reads back its CPL and is refused DPL 0 descriptors"
    ret

user_main:
    mov ebx, rec3
    call probe
    mov eax, 0x3333
    RETURN_TO_RING0

; probe: fills the record at EBX (runs in either ring)
probe:
    mov dword [esp - 4], 0xFFFFFFFF         ; push cs may write only 16 bits
    push cs
    pop eax
    movzx eax, ax
    mov [ebx + F_cs], eax
    mov dword [scratch], 0
    mov dword [scratch + 4], 0
    sgdt [scratch]
    movzx eax, word [scratch]
    mov [ebx + F_gdt_limit], eax
    mov eax, [scratch + 2]
    mov [ebx + F_gdt_base], eax
    sidt [scratch]
    movzx eax, word [scratch]
    mov [ebx + F_idt_limit], eax
    mov eax, [scratch + 2]
    mov [ebx + F_idt_base], eax
    xor eax, eax
    sldt ax
    mov [ebx + F_ldtr], eax
    xor eax, eax
    str ax
    mov [ebx + F_tr], eax
    smsw eax
    and eax, 0xFFFF
    mov [ebx + F_msw], eax
    mov dword [scratch], 0
    smsw [scratch]
    mov eax, [scratch]
    mov [ebx + F_msw_mem], eax
    xor eax, eax                            ; ZF = 1
    stc                                     ; CF = 1
    pushfd
    pop eax
    and eax, EFL_CF | 0x2 | 0x40 | EFL_TF | EFL_IF | EFL_DF | EFL_IOPL | EFL_NT
    mov [ebx + F_eflags], eax
    LAR_FIELD lar_code0, SEL_CODE0
    LAR_FIELD lar_code3, SEL_CODE3
    LAR_FIELD lar_data3, SEL_DATA3
    LAR_FIELD lar_tss, SEL_TSS0
    LAR_FIELD lar_ldt_d3, SEL_LDT_D3
    LAR_FIELD lar_null, 0
    LSL_FIELD lsl_code0, SEL_CODE0
    LSL_FIELD lsl_tss, SEL_TSS0
    LSL_FIELD lsl_ldt, SEL_LDT
    LSL_FIELD lsl_ldt_d3, SEL_LDT_D3
    VER_FIELD verr_code0, verr, SEL_CODE0
    VER_FIELD verw_code0, verw, SEL_CODE0
    VER_FIELD verr_data0, verr, SEL_DATA0
    VER_FIELD verw_data0, verw, SEL_DATA0
    VER_FIELD verr_data3, verr, SEL_DATA3
    VER_FIELD verw_data3, verw, SEL_DATA3
    VER_FIELD verr_code3, verr, SEL_CODE3
    VER_FIELD verw_code3, verw, SEL_CODE3
    ret

; compare: ESI = record, EDI = expected, EAX = exit code on mismatch
compare:
    xor ecx, ecx
.next:
    mov edx, [esi + ecx * 4]
    cmp edx, [edi + ecx * 4]
    jne .bad
    inc ecx
    cmp ecx, nfields
    jb .next
    ret
.bad:
    mov [lib_actual], edx
    mov edx, [edi + ecx * 4]
    mov [lib_expected], edx
    mov byte [lib_have_values], 1
    mov esi, [field_names + ecx * 4]
    jmp lib_fail

section .rodata
field_names:
    dd fname_cs, fname_gdt_limit, fname_gdt_base, fname_idt_limit, fname_idt_base
    dd fname_ldtr, fname_tr, fname_msw, fname_msw_mem, fname_eflags
    dd fname_lar_code0, fname_lar_code0_zf, fname_lar_code3, fname_lar_code3_zf
    dd fname_lar_data3, fname_lar_data3_zf, fname_lar_tss, fname_lar_tss_zf
    dd fname_lar_ldt_d3, fname_lar_ldt_d3_zf, fname_lar_null, fname_lar_null_zf
    dd fname_lsl_code0, fname_lsl_code0_zf, fname_lsl_tss, fname_lsl_tss_zf
    dd fname_lsl_ldt, fname_lsl_ldt_zf, fname_lsl_ldt_d3, fname_lsl_ldt_d3_zf
    dd fname_verr_code0, fname_verw_code0, fname_verr_data0, fname_verw_data0
    dd fname_verr_data3, fname_verw_data3, fname_verr_code3, fname_verw_code3
%if ($ - field_names) != RECORD_SIZE
%error "field_names does not match the record"
%endif

section .data
align 4
; expected values, in field order
exp0:
    dd SEL_CODE0, GDT_ENTRIES * 8 - 1, lib_gdt, 256 * 8 - 1, lib_idt
    dd SEL_LDT, SEL_TSS0, 0, 0, EFL_CF | 0x2 | 0x40
    dd 0x00C09B00, 1, 0x00C0FB00, 1
    dd 0x00C0F300, 1, 0x00008B00, 1
    dd 0x00C0F300, 1, NOPE, 0
    dd 0xFFFFFFFF, 1, 103, 1
    dd 15, 1, 0xFFFFFFFF, 1
    dd 1, 0, 1, 1
    dd 1, 1, 1, 0
exp3:
    dd SEL_CODE3, GDT_ENTRIES * 8 - 1, lib_gdt, 256 * 8 - 1, lib_idt
    dd SEL_LDT, SEL_TSS0, 0, 0, EFL_CF | 0x2 | 0x40 | EFL_IF
    dd NOPE, 0, 0x00C0FB00, 1
    dd 0x00C0F300, 1, NOPE, 0
    dd 0x00C0F300, 1, NOPE, 0
    dd NOPE, 0, NOPE, 0
    dd NOPE, 0, 0xFFFFFFFF, 1
    dd 0, 0, 0, 0
    dd 1, 1, 1, 0
%if ($ - exp3) != RECORD_SIZE
%error "exp3 does not match the record"
%endif

section .bss
alignb 8
ldt_table:      resq 2
scratch:        resd 4
rec0:           resb RECORD_SIZE
rec3:           resb RECORD_SIZE
alignb 16
user_stack:     resb 8192
user_stack_top:
