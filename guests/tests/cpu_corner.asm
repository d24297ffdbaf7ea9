; cpu_corner: the stack-size, ENTER, 16-bit TSS and debug-register cases an external CPU
; test ROM found (SDM Vol. 2 POP, ENTER; Vol. 3 7.3, 17.2-17.3.1).
;
;   (a) POP SS on a 16-bit stack (SP 0xFFFC) loading a 32-bit SS: the pop is sized by the old
;       stack, so SP wraps to 0 and ESP's upper half stays (0x2FFFC -> 0x20000); the other way,
;       POP SS on a 32-bit stack loading a 16-bit SS moves the whole ESP (0x1FFFC -> 0x20000);
;   (b) ENTER with a 32-bit operand on a 16-bit stack: EBP becomes the whole ESP after pushing
;       EBP (0x37FFC, upper half kept, not SP alone), the level-1 frame pointer pushed is that
;       value too;
;   (e) RF: a #DB handler that sets RF in the saved EFLAGS and returns sees the instruction
;       breakpoint once;
;   (f) I/O breakpoints (CR4.DE, DR7 R/W = 10): OUT to the watched port traps after the OUT
;       with DR6.B0;
; last, what QEMU 7.2's TCG gets wrong (on QEMU the program stops there):
;   (h) DR7.GD makes a MOV from DR0 fault with DR6.BD (GD cleared in the handler);
;   (d) a JMP to a 16-bit (286) TSS: the general registers of the new task get the upper halves
;       a 386 gives them, 0xFFFF; a JMP back to the 32-bit TSS resumes the first task;
;   (g) a code breakpoint on the instruction after MOV SS is not reported (Intel);
;   (c) ENTER whose new stack top lies outside an expand-down stack segment (ring 3) is #SS(0)
;       with EBP and SP unchanged (the IRET back to the 16-bit SS loads only SP: ESP's upper
;       half is the kernel's, the leak Linux's espfix hides).

%define TEST_NAME "cpu_corner"
%include "lib.inc"

SEL_SS16    equ 0x30                    ; 16-bit data, base STACK16, limit 0xFFFF
SEL_EXPDN3  equ 0x3B                    ; ring 3, 16-bit expand-down data, base STACK16, limit 0x8000
SEL_TSS16   equ 0x40                    ; a 286 TSS
SEL_TASKCS  equ 0x48                    ; 32-bit code at task16_code (so IP 0 fits the 286 TSS)
STACK16     equ 0x00400000              ; 64 KiB at 4 MiB for the 16-bit stack tests
CR4_DE      equ 0x008

section .text
test_main:
    call lib_setup_tss
    mov eax, SEL_SS16
    mov ebx, STACK16
    mov ecx, 0xFFFF
    mov edx, ATTR_DATA16
    call lib_set_desc
    mov eax, SEL_EXPDN3
    mov ecx, 0x8000
    mov edx, 0x00F6                     ; present, DPL 3, data, expand-down, writable; 16-bit
    call lib_set_desc

    ; ---- (a) POP SS sized by the old stack
    cli
    mov [saved_esp], esp
    mov dword [STACK16 + 0xFFFC], SEL_DATA0
    mov ax, SEL_SS16
    mov ss, ax
    mov esp, 0x0002FFFC
    pop ss                              ; 32-bit pop from SS16:FFFC, loads the flat 32-bit SS
    mov [result], esp
    mov esp, [saved_esp]
    CHECK_EQ [result], 0x00020000, 1, "POP SS on a 16-bit stack: SP wraps, ESP's upper half stays"
    mov dword [0x1FFFC], SEL_SS16
    mov esp, 0x1FFFC
    pop ss                              ; from the flat stack, loads the 16-bit SS
    mov [result], esp
    mov ax, SEL_DATA0
    mov ss, ax
    mov esp, [saved_esp]
    CHECK_EQ [result], 0x00020000, 1, "POP SS on a 32-bit stack moves the whole ESP"
    OK "POP SS uses the stack size in force before it"

    ; ---- (b) ENTER o32 on a 16-bit stack
    mov [saved_ebp], ebp
    mov ax, SEL_SS16
    mov ss, ax
    mov esp, 0x00038000
    mov ebp, 0x12345678
    enter 4, 1
    mov [result], ebp
    mov [result + 4], esp
    mov ax, SEL_DATA0
    mov ss, ax
    mov esp, [saved_esp]
    mov ebp, [saved_ebp]
    CHECK_EQ [result], 0x00037FFC, 2, "EBP = the whole ESP after pushing EBP"
    CHECK_EQ [result + 4], 0x00037FF4, 2, "ESP: SP moved by 12"
    CHECK_EQ [STACK16 + 0x7FFC], 0x12345678, 2, "old EBP pushed at SP 0x7FFC"
    CHECK_EQ [STACK16 + 0x7FF8], 0x00037FFC, 2, "the frame pointer pushed at level 1"
    OK "ENTER with a 32-bit operand on a 16-bit stack"

    ; ---- (e) RF after IRET
    mov dword [exc_hook], db_resume_hook
    mov dword [db_count], 0
    mov eax, bp_target
    mov dr0, eax
    mov eax, 1                          ; L0: execute breakpoint
    mov dr7, eax
    jmp bp_target
bp_target:
    nop
    xor eax, eax
    mov dr7, eax
    mov dword [exc_hook], 0
    CHECK_EQ [db_count], 1, 5, "one #DB: the handler set RF"
    OK "RF suppresses the breakpoint once"

    ; ---- (f) I/O breakpoints and DR7.GD
    mov eax, cr4
    or eax, CR4_DE
    mov cr4, eax
    mov eax, 0x80
    mov dr0, eax
    mov eax, 1 | (2 << 16)              ; L0, R/W0 = 10 (I/O), LEN0 = 00
    mov dr7, eax
    xor eax, eax
    mov dr6, eax
    EXPECT_TRAP 1, NOERR, 6, out 0x80, al
    mov eax, dr6
    and eax, 0xF
    CHECK_EQ eax, 1, 6, "DR6.B0"
    xor eax, eax
    mov dr7, eax
    OK "I/O breakpoint trap"

    ; ---- last, what QEMU 7.2's TCG does not do (so on QEMU it stops here)
    ; (h) DR7.GD
    mov eax, 0x2000                     ; GD
    mov dr7, eax
    EXPECT_FAULT 1, NOERR, 6, mov eax, dr0
    mov eax, dr6                        ; GD was cleared when the #DB was delivered
    and eax, 0x2000
    CHECK_EQ eax, 0x2000, 6, "DR6.BD"
    mov eax, dr7
    and eax, 0x2000
    CHECK_EQ eax, 0, 6, "GD cleared"
    OK "DR7.GD: MOV DRn faults with DR6.BD"
    ; ---- (d) a 16-bit TSS (QEMU keeps the old task's upper halves)
    mov eax, SEL_TASKCS
    mov ebx, task16_code
    mov ecx, 0xFFFF
    mov edx, ATTR_CODE32
    call lib_set_desc
    mov eax, SEL_TSS16
    mov ebx, tss16
    mov ecx, 0x2B
    mov edx, 0x0081                     ; present, available 286 TSS
    call lib_set_desc
    mov word [tss16 + 14], 0            ; IP
    mov word [tss16 + 16], 0x0002       ; FLAGS
    mov word [tss16 + 18], 0x1111       ; AX
    mov word [tss16 + 20], 0x2222       ; CX
    mov word [tss16 + 22], 0x3333       ; DX
    mov word [tss16 + 24], 0x4444       ; BX
    mov word [tss16 + 26], 0x5550       ; SP
    mov word [tss16 + 28], 0x6666       ; BP
    mov word [tss16 + 30], 0x7777       ; SI
    mov word [tss16 + 32], 0x8888       ; DI
    mov word [tss16 + 34], SEL_DATA0    ; ES
    mov word [tss16 + 36], SEL_TASKCS   ; CS
    mov word [tss16 + 38], SEL_DATA0    ; SS
    mov word [tss16 + 40], SEL_DATA0    ; DS
    mov word [tss16 + 42], 0            ; LDT
    mov eax, 0xAAAA0000
    mov ecx, eax
    mov edx, eax
    mov ebx, eax
    mov esi, eax
    mov edi, eax
    jmp SEL_TSS16:0
back_from_task:
    mov esp, [saved_esp]
    CHECK_EQ [task_regs], 0xFFFF1111, 4, "EAX = 0xFFFF and the TSS's AX"
    CHECK_EQ [task_regs + 4], 0xFFFF2222, 4, "ECX"
    CHECK_EQ [task_regs + 12], 0xFFFF4444, 4, "EBX"
    CHECK_EQ [task_regs + 16], 0xFFFF5550, 4, "ESP"
    CHECK_EQ [task_regs + 28], 0xFFFF8888, 4, "EDI"
    OK "a 16-bit TSS: upper halves 0xFFFF"

    ; (g) no code breakpoint on the instruction after MOV SS (Intel)
    mov dword [exc_hook], db_resume_hook
    mov dword [db_count], 0
    mov eax, after_movss
    mov dr1, eax
    mov eax, 4                          ; L1: execute breakpoint
    mov dr7, eax
    mov ax, ss
    mov ss, ax
after_movss:
    nop
    xor eax, eax
    mov dr7, eax
    mov dword [exc_hook], 0
    CHECK_EQ [db_count], 0, 7, "no #DB for the instruction after MOV SS"
    OK "no code breakpoint after MOV SS"

    ; ---- (c) ENTER faults before changing anything (QEMU does not probe the new stack top) (ring 3, expand-down stack)
    mov eax, enter_user
    mov ebx, user_stack_top
    mov ecx, 0x202
    call lib_enter_ring3
    CHECK_EQ eax, 1, 3, "the user code came back"
    CHECK_EQ [exc_vector], 12, 3, "ENTER past the segment: #SS"
    CHECK_EQ [exc_error], 0, 3, "#SS(0)"
    CHECK_EQ [result], 0x5555, 3, "EBP unchanged"
    mov eax, [result + 4]
    and eax, 0xFFFF                     ; the IRET back to a 16-bit SS loads SP only (espfix's leak)
    CHECK_EQ eax, 0x8008, 3, "SP unchanged"
    OK "ENTER: #SS(0) with EBP and ESP unchanged"

    ret

; ring 3: load the expand-down SS, ENTER past its bottom, report EBP/ESP after the fault
enter_user:
    mov dword [exc_resume], .resumed
    mov ax, SEL_EXPDN3
    mov ss, ax
    mov esp, 0x8008
    mov ebp, 0x5555
    enter 8, 0                          ; pushes at 0x8004, then the new top 0x7FFC is outside
    mov eax, 0                          ; not reached
.resumed:
    mov [result], ebp
    mov [result + 4], esp
    mov ax, SEL_DATA3
    mov ss, ax
    mov esp, user_stack_top
    mov eax, 1
    RETURN_TO_RING0

; the 286 task: record the registers, go back to the 32-bit task (stack unused: ESP is 0xFFFF5550)
task16_code:
    mov [task_regs], eax
    mov [task_regs + 4], ecx
    mov [task_regs + 8], edx
    mov [task_regs + 12], ebx
    mov [task_regs + 16], esp
    mov [task_regs + 20], ebp
    mov [task_regs + 24], esi
    mov [task_regs + 28], edi
    jmp SEL_TSS0:0

; #DB hook: count, set RF in the saved EFLAGS, resume (EBX = frame)
db_resume_hook:
    xor eax, eax
    cmp dword [ebx + FRAME_VECTOR], 1
    jne .not_db
    inc dword [db_count]
    or dword [ebx + FRAME_EFLAGS], EFL_RF
    mov eax, 1
.not_db:
    ret

section .data
saved_esp: dd 0
saved_ebp: dd 0
db_count:  dd 0

section .bss
alignb 16
result:    resd 4
task_regs: resd 8
tss16:     resb 64
alignb 16
user_stack: resb 1024
user_stack_top:
