; ring3: TSS stack switch, iret to ring 3, int 0x80 and sysenter/sysexit system calls.
;
; Ring 0 loads TR with a TSS (ESP0/SS0), installs a DPL 3 interrupt gate at 0x80, a DPL 0
; gate at 0x81 and the SYSENTER MSRs (0x174-0x176, via wrmsr), then enters ring 3 with iret.
; Ring 3 checks its CS/SS/CPL, makes int 0x80 calls (the handler sees ESP = ESP0 - 20 and
; the user's SS:ESP, CS, EIP and EFLAGS in its frame), sysenter calls (the handler runs with
; CS = SYSENTER_CS, SS = SYSENTER_CS + 8 and ESP = SYSENTER_ESP; sysexit returns to EDX with
; ESP = ECX, CS = SYSENTER_CS + 16 | 3, SS = SYSENTER_CS + 24 | 3), and checks that
; int 0x81 (DPL 0 gate) is #GP(0x40a), sysexit in ring 3 is #GP(0), and sysenter with
; SYSENTER_CS = 0 is #GP(0).

%define TEST_NAME "ring3"
%include "lib.inc"

MSR_SYSENTER_CS  equ 0x174
MSR_SYSENTER_ESP equ 0x175
MSR_SYSENTER_EIP equ 0x176

section .text
test_main:
    mov eax, 1 << 11                        ; SEP
    call lib_require_cpuid_edx
    call lib_setup_tss
    str ax
    movzx eax, ax
    CHECK_EQ eax, SEL_TSS0, 1, "TR after ltr"

    mov eax, 0x80
    mov ebx, int80_handler
    mov ecx, SEL_CODE0
    mov dl, GATE_INT3
    call lib_set_gate
    mov eax, 0x81
    mov dl, GATE_INT0                       ; not callable from ring 3
    call lib_set_gate

    mov ecx, MSR_SYSENTER_CS
    xor edx, edx
    mov eax, SEL_CODE0
    wrmsr
    mov ecx, MSR_SYSENTER_ESP
    mov eax, sysenter_stack_top
    wrmsr
    mov ecx, MSR_SYSENTER_EIP
    mov eax, sysenter_handler
    wrmsr
    mov ecx, MSR_SYSENTER_ESP
    rdmsr
    CHECK_EQ eax, sysenter_stack_top, 1, "rdmsr SYSENTER_ESP"
    OK "TSS, gates and SYSENTER MSRs set up"

    ; ---- first visit to ring 3
    mov eax, user_main
    mov ebx, user_stack_top
    mov ecx, 0x202                          ; IF=1 (PICs masked), IOPL 0
    call lib_enter_ring3
    CHECK_EQ eax, 0x600DCAFE, 2, "value returned from ring 3"
    mov eax, cs
    movzx eax, ax
    CHECK_EQ eax, SEL_CODE0, 2, "CS back in ring 0"
    CHECK_EQ [int80_count], 6, 2, "number of int 0x80 calls seen"
    CHECK_EQ [sysenter_count], 3, 2, "number of sysenter calls seen"
    OK "ring 3 system calls"

    ; ---- sysenter with SYSENTER_CS = 0 is #GP(0)
    mov ecx, MSR_SYSENTER_CS
    xor edx, edx
    xor eax, eax
    wrmsr
    mov eax, user_bad_sysenter
    mov ebx, user_stack_top
    mov ecx, 0x002
    call lib_enter_ring3
    CHECK_EQ eax, 0x5EC0, 3, "value returned from the second ring 3 visit"
    OK "sysenter with SYSENTER_CS = 0 faults"
    ret

; -------------------------------------------------------------------------------------
; ring 0 handlers

; int 0x80: EAX = function. 1: EAX = EBX + ECX. 2: EAX = CPL of the handler, EDX = its
; entry ESP. 3: EAX = ESP, EDX = SS, ECX = CS, EBX = EIP from the frame. 4: EAX = EFLAGS from
; the frame, EDX = EFLAGS inside the handler. Others: EAX = -1.
int80_handler:
    mov [ss:int80_esp], esp
    inc dword [ss:int80_count]
    cmp eax, 1
    jne .f2
    mov eax, ebx
    add eax, ecx
    iretd
.f2:
    cmp eax, 2
    jne .f3
    mov eax, cs
    and eax, 3
    mov edx, [ss:int80_esp]
    iretd
.f3:
    cmp eax, 3
    jne .f4
    mov eax, [esp + 12]
    mov edx, [esp + 16]
    mov ecx, [esp + 4]
    mov ebx, [esp]
    iretd
.f4:
    cmp eax, 4
    jne .bad
    mov eax, [esp + 8]
    pushfd
    pop edx
    iretd
.bad:
    mov eax, -1
    iretd

; sysenter: EAX = function. 1: EAX = EBX * 3. 2: EAX = CS, EBX = SS, ESI = ESP on entry.
; Returns with sysexit (EDX = user EIP, ECX = user ESP, both untouched).
sysenter_handler:
    mov [ss:sysenter_esp], esp
    inc dword [ss:sysenter_count]
    cmp eax, 1
    jne .f2
    lea eax, [ebx + ebx * 2]
    sysexit
.f2:
    mov eax, cs
    movzx eax, ax
    mov ebx, ss
    movzx ebx, bx
    mov esi, esp
    sysexit

; -------------------------------------------------------------------------------------
; ring 3

user_main:
    mov eax, cs
    movzx eax, ax
    CHECK_EQ eax, SEL_CODE3, 10, "CS in ring 3"
    mov eax, ss
    movzx eax, ax
    CHECK_EQ eax, SEL_DATA3, 10, "SS in ring 3"
    mov eax, esp
    CHECK_EQ eax, user_stack_top, 10, "ESP after iret to ring 3"
    pushfd
    pop eax
    and eax, EFL_IF | EFL_IOPL
    CHECK_EQ eax, EFL_IF, 10, "EFLAGS.IF/IOPL in ring 3"

    ; int 0x80, function 1
    mov ebp, esp
    mov eax, 1
    mov ebx, 40
    mov ecx, 2
    mov esi, 0x51515151
    mov edi, 0x71717171
    int 0x80
    CHECK_EQ eax, 42, 11, "int 0x80 add result"
    mov eax, esp
    CHECK_EQ eax, ebp, 11, "ESP after int 0x80"
    CHECK_EQ esi, 0x51515151, 11, "ESI preserved across int 0x80"
    CHECK_EQ edi, 0x71717171, 11, "EDI preserved across int 0x80"
    ; function 2: ring and stack of the handler
    mov eax, 2
    int 0x80
    CHECK_EQ eax, 0, 12, "CPL inside the int 0x80 handler"
    CHECK_EQ edx, lib_kstack_top - 20, 12, "handler ESP = TSS.ESP0 - 5 dwords"
    ; function 3: the frame
    mov eax, 3
    int 0x80
.after_f3:
    CHECK_EQ eax, ebp, 13, "user ESP saved in the frame"
    CHECK_EQ edx, SEL_DATA3, 13, "user SS saved in the frame"
    CHECK_EQ ecx, SEL_CODE3, 13, "user CS saved in the frame"
    CHECK_EQ ebx, .after_f3, 13, "return EIP saved in the frame"
    ; function 4: EFLAGS
    mov eax, 4
    int 0x80
    and eax, EFL_IF
    CHECK_EQ eax, EFL_IF, 14, "IF in the saved EFLAGS"
    and edx, EFL_IF
    CHECK_EQ edx, 0, 14, "IF inside the interrupt-gate handler"
    pushfd
    pop eax
    and eax, EFL_IF
    CHECK_EQ eax, EFL_IF, 14, "IF restored by iret"
    ; unknown function
    mov eax, 99
    int 0x80
    CHECK_EQ eax, -1, 14, "unknown int 0x80 function"

    ; sysenter, function 1
    mov eax, 1
    mov ebx, 14
    mov ecx, esp
    mov edx, .ret1
    sysenter
.ret1:
    CHECK_EQ eax, 42, 15, "sysenter result"
    mov eax, esp
    CHECK_EQ eax, ebp, 15, "ESP after sysexit"
    mov eax, cs
    movzx eax, ax
    CHECK_EQ eax, SEL_CODE3, 15, "CS after sysexit"
    mov eax, ss
    movzx eax, ax
    CHECK_EQ eax, SEL_DATA3, 15, "SS after sysexit"
    CHECK_EQ [sysenter_esp], sysenter_stack_top, 15, "ESP in the sysenter handler = SYSENTER_ESP"
    ; function 2: segments of the handler
    mov eax, 2
    lea ecx, [esp - 64]                     ; sysexit may return to another stack
    mov edx, .ret2
    sysenter
.ret2:
    CHECK_EQ eax, SEL_CODE0, 16, "CS inside the sysenter handler"
    CHECK_EQ ebx, SEL_DATA0, 16, "SS inside the sysenter handler"
    CHECK_EQ esi, sysenter_stack_top, 16, "ESP inside the sysenter handler"
    lea ebx, [ebp - 64]
    mov eax, esp
    CHECK_EQ eax, ebx, 16, "ESP after sysexit = ECX given to sysenter"
    mov esp, ebp
    ; once more, to see the counters move
    mov eax, 1
    mov ebx, 1000
    mov ecx, esp
    mov edx, .ret3
    sysenter
.ret3:
    CHECK_EQ eax, 3000, 16, "third sysenter result"

    ; a DPL 0 gate from ring 3: #GP(vector * 8 + 2)
    EXPECT_FAULT 13, 0x81 * 8 + 2, 17, int 0x81
    ; sysexit is privileged
    EXPECT_FAULT 13, 0, 17, sysexit
    ; one more int 0x80 after the faults
    mov eax, 1
    mov ebx, 1
    mov ecx, 1
    int 0x80
    CHECK_EQ eax, 2, 17, "int 0x80 after the faults"

    mov eax, 0x600DCAFE
    RETURN_TO_RING0

user_bad_sysenter:
    mov ecx, esp
    mov edx, .never
    EXPECT_FAULT 13, 0, 18, sysenter
    mov eax, 0x5EC0
    RETURN_TO_RING0
.never:
    FAIL 18, "sysenter with SYSENTER_CS = 0 returned"

section .data
int80_esp:      dd 0
int80_count:    dd 0
sysenter_esp:   dd 0
sysenter_count: dd 0

section .bss
alignb 16
user_stack:         resb 8192
user_stack_top:
sysenter_stack:     resb 4096
sysenter_stack_top:
