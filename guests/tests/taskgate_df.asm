; taskgate_df: a double fault handled by a task gate to a separate TSS, as Linux/i386 does.
;
; IDT vector 8 is a task gate to TSS_DF (own stack, CR3, EIP = df_task). Two double faults:
;  1. #GP while the #GP gate is not present: delivering #GP raises #NP(0x6a), a
;     contributory exception during a contributory one -> #DF;
;  2. with paging on, a #PF while ESP points into a not-present page: pushing the #PF frame
;     faults again -> #DF (the kernel-stack-overflow case); CR2 = the failed push.
; The double-fault task checks that it runs with TR = TSS_DF, EFLAGS.NT = 1, back link =
; the interrupted task, error code 0 on its stack, both TSS descriptors busy, and the
; interrupted task's TSS holding the faulting EIP. It then repairs things, edits the saved
; EIP (and ESP) of the interrupted task and returns with iret (NT = 1: task return).
; The interrupted task checks that its registers came back from its TSS, TR, NT = 0 and
; that TSS_DF is no longer busy.

%define TEST_NAME "taskgate_df"
%include "lib.inc"

SEL_TSS_DF equ 0x30

; TSS field offsets
TSS_LINK   equ 0
TSS_CR3    equ 28
TSS_EIP    equ 32
TSS_EFLAGS equ 36
TSS_ESP    equ 56
TSS_ES     equ 72
TSS_CS     equ 76
TSS_SS     equ 80
TSS_DS     equ 84
TSS_FS     equ 88
TSS_GS     equ 92
TSS_IOMAP  equ 102

section .text
test_main:
    call lib_setup_tss
    mov dword [lib_tss0 + TSS_CR3], lib_pd  ; loaded again when the #DF task returns here
    mov eax, PG_P | PG_RW
    call lib_identity_paging                ; built now, enabled for the second case

    ; the double-fault TSS
    mov edi, tss_df
    mov ecx, 104 / 4
    xor eax, eax
    rep stosd
    mov dword [tss_df + TSS_CR3], lib_pd
    mov dword [tss_df + TSS_EIP], df_task
    mov dword [tss_df + TSS_EFLAGS], 0x2
    mov dword [tss_df + TSS_ESP], df_stack_top
    mov dword [tss_df + TSS_CS], SEL_CODE0
    mov eax, SEL_DATA0
    mov [tss_df + TSS_SS], eax
    mov [tss_df + TSS_DS], eax
    mov [tss_df + TSS_ES], eax
    mov [tss_df + TSS_FS], eax
    mov [tss_df + TSS_GS], eax
    mov word [tss_df + TSS_IOMAP], 104
    mov eax, SEL_TSS_DF
    mov ebx, tss_df
    mov ecx, 103
    mov edx, ATTR_TSS32
    call lib_set_desc
    mov eax, 8
    xor ebx, ebx
    mov ecx, SEL_TSS_DF
    mov dl, GATE_TASK
    call lib_set_gate
    OK "double-fault TSS and task gate installed"

    ; ---- case 1: #GP with a not-present #GP gate
    mov byte [lib_idt + 13 * 8 + 5], 0x0E   ; #GP gate: P = 0
    mov dword [df_resume_eip], .resume1
    mov dword [df_resume_esp], 0
    mov ebx, 0x0B0B0B0B
    mov esi, 0x05105105
    mov ebp, 0x0BB0BB0B
    mov ax, 0x1237
.fault1:
    mov ds, ax                              ; #GP(0x1234) -> #NP(0x6a) -> #DF
    FAIL 1, "loading selector 0x1237 did not fault"
.resume1:
    mov ax, SEL_DATA0
    mov ds, ax
    CHECK_EQ [df_count], 1, 2, "double-fault task ran once"
    CHECK_EQ [df_error], 0, 2, "#DF error code"
    CHECK_EQ [df_tr], SEL_TSS_DF, 2, "TR inside the double-fault task"
    CHECK_EQ [df_nt], EFL_NT, 2, "EFLAGS.NT inside the double-fault task"
    CHECK_EQ [df_link], SEL_TSS0, 2, "back link of the double-fault TSS"
    CHECK_EQ [df_saved_eip], .fault1, 2, "EIP saved in the interrupted TSS = faulting instruction"
    CHECK_EQ [df_busy], 0x8B8B, 2, "both TSS descriptors busy during the #DF task"
    CHECK_EQ ebx, 0x0B0B0B0B, 3, "EBX restored from the TSS"
    CHECK_EQ esi, 0x05105105, 3, "ESI restored from the TSS"
    CHECK_EQ ebp, 0x0BB0BB0B, 3, "EBP restored from the TSS"
    call check_back_home
    OK "#GP + not-present #GP gate -> #DF through the task gate"

    ; ---- case 2: #PF while the stack is not mapped
    mov eax, guard_page
    shr eax, 12
    mov dword [lib_pts + eax * 4], 0        ; the "overflowed" stack page
    mov eax, hole_page
    shr eax, 12
    mov dword [lib_pts + eax * 4], 0        ; the first fault
    call lib_enable_paging
    mov dword [df_resume_eip], .resume2
    mov [df_resume_esp], esp
    mov ebx, 0x22222222
    mov edi, 0x33333333
    mov esp, guard_page + 4096              ; pushes land in the not-present page
.fault2:
    mov eax, [hole_page]                    ; #PF -> #PF pushing its frame -> #DF
    FAIL 4, "reading the unmapped page did not fault"
.resume2:
    CHECK_EQ [df_count], 2, 5, "double-fault task ran a second time"
    CHECK_EQ [df_error], 0, 5, "#DF error code (second)"
    CHECK_EQ [df_nt], EFL_NT, 5, "EFLAGS.NT inside the double-fault task (second)"
    CHECK_EQ [df_link], SEL_TSS0, 5, "back link (second)"
    CHECK_EQ [df_saved_eip], .fault2, 5, "EIP saved in the interrupted TSS (second)"
    CHECK_EQ [df_cr2], guard_page + 4092, 5, "CR2 = the failed push of the #PF frame"
    CHECK_EQ [df_cr3], lib_pd, 5, "CR3 inside the double-fault task"
    CHECK_EQ ebx, 0x22222222, 5, "EBX restored from the TSS (second)"
    CHECK_EQ edi, 0x33333333, 5, "EDI restored from the TSS (second)"
    mov eax, cr0
    and eax, CR0_PG
    CHECK_EQ eax, CR0_PG, 5, "paging still on after the task return"
    call check_back_home
    call lib_disable_paging
    OK "#PF on an unmapped stack during #PF -> #DF through the task gate"
    ret

; state of the original task after a task return
check_back_home:
    str ax
    movzx eax, ax
    CHECK_EQ eax, SEL_TSS0, 6, "TR after the task return"
    pushfd
    pop eax
    and eax, EFL_NT
    CHECK_EQ eax, 0, 6, "EFLAGS.NT after the task return"
    movzx eax, byte [lib_gdt + SEL_TSS_DF + 5]
    CHECK_EQ eax, 0x89, 6, "double-fault TSS descriptor no longer busy"
    movzx eax, byte [lib_gdt + SEL_TSS0 + 5]
    CHECK_EQ eax, 0x8B, 6, "own TSS descriptor busy"
    ret

; -------------------------------------------------------------------------------------
; The double-fault task. Runs on df_stack with the error code on top.
df_task:
    pop eax
    mov [df_error], eax
    inc dword [df_count]
    str ax
    movzx eax, ax
    mov [df_tr], eax
    pushfd
    pop eax
    and eax, EFL_NT
    mov [df_nt], eax
    movzx eax, word [tss_df + TSS_LINK]
    mov [df_link], eax
    mov eax, [lib_tss0 + TSS_EIP]
    mov [df_saved_eip], eax
    mov al, [lib_gdt + SEL_TSS0 + 5]
    mov ah, [lib_gdt + SEL_TSS_DF + 5]
    movzx eax, ax
    mov [df_busy], eax
    mov eax, cr2
    mov [df_cr2], eax
    mov eax, cr3
    mov [df_cr3], eax
    ; repair: #GP gate present again, unmapped pages back, resume point and stack
    mov byte [lib_idt + 13 * 8 + 5], GATE_INT0
    mov eax, guard_page
    or eax, PG_P | PG_RW
    mov ebx, guard_page
    shr ebx, 12
    mov [lib_pts + ebx * 4], eax
    mov eax, [df_resume_eip]
    mov [lib_tss0 + TSS_EIP], eax
    mov eax, [df_resume_esp]
    test eax, eax
    jz .keep_esp
    mov [lib_tss0 + TSS_ESP], eax
.keep_esp:
    iretd                                   ; NT = 1: back to the interrupted task
    jmp df_task                             ; the next #DF enters here

section .data
df_resume_eip:  dd 0
df_resume_esp:  dd 0
df_count:       dd 0
df_error:       dd 0xFFFFFFFF
df_tr:          dd 0
df_nt:          dd 0
df_link:        dd 0
df_saved_eip:   dd 0
df_busy:        dd 0
df_cr2:         dd 0
df_cr3:         dd 0

section .bss
alignb 4096
guard_page:     resb 4096
hole_page:      resb 4096
alignb 16
tss_df:         resb 104
alignb 16
df_stack:       resb 4096
df_stack_top:
