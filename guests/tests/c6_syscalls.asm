; c6_syscalls: many system call round trips from ring 3, through int 0x80 and sysenter.
;
; One dispatcher serves both entry paths (int 0x80: EAX = number, EBX/ECX/EDX = arguments;
; sysenter: EAX = number, EBX/ESI/EDI = arguments, ECX = user ESP, EDX = return EIP):
;   1 add(a, b) -> a + b              2 tick() -> kernel counter + 1 (shared by both paths)
;   3 write(buf, len) -> byte sum of the user buffer, copied into a kernel buffer
;   4 read(buf, len, seed) -> fills the user buffer with (i * 7 + seed) & 0xff, returns len
;   other -> -38 (ENOSYS)
; Ring 3 runs ITERATIONS rounds of add/tick through both paths, with a write/read every 64
; rounds, and checks every result, that ESP, EBP, ESI, EDI (and, for int 0x80, EBX) are
; preserved, and that the tick sequence has no gaps. Ring 0 checks the call counters.

%define TEST_NAME "c6_syscalls"
%include "lib.inc"

ITERATIONS equ 3000
IO_ROUNDS  equ (ITERATIONS + 63) / 64     ; rounds 0, 64, 128, ... do write/read
MSR_SYSENTER_CS  equ 0x174
MSR_SYSENTER_ESP equ 0x175
MSR_SYSENTER_EIP equ 0x176
ENOSYS equ -38

section .text
test_main:
    mov eax, 1 << 11                        ; SEP
    call lib_require_cpuid_edx
    call lib_setup_tss
    mov eax, 0x80
    mov ebx, int80_entry
    mov ecx, SEL_CODE0
    mov dl, GATE_INT3
    call lib_set_gate
    mov ecx, MSR_SYSENTER_CS
    xor edx, edx
    mov eax, SEL_CODE0
    wrmsr
    mov ecx, MSR_SYSENTER_ESP
    mov eax, sysenter_stack_top
    wrmsr
    mov ecx, MSR_SYSENTER_EIP
    mov eax, sysenter_entry
    wrmsr

    mov eax, user_main
    mov ebx, user_stack_top
    mov ecx, 0x202
    call lib_enter_ring3
    CHECK_EQ eax, 0x5CA11, 1, "ring 3 did not finish"
    mov eax, ITERATIONS * 2 + IO_ROUNDS * 2 + 1
    CHECK_EQ [int80_calls], eax, 2, "int 0x80 calls seen by the kernel"
    mov eax, ITERATIONS * 2 + IO_ROUNDS * 2 + 1
    CHECK_EQ [sysenter_calls], eax, 2, "sysenter calls seen by the kernel"
    CHECK_EQ [ticks], ITERATIONS * 2, 2, "tick counter"
    mov eax, [int80_calls]
    add eax, [sysenter_calls]
    call lib_putdec
    PRINT " system calls", 10
    ret

; -------------------------------------------------------------------------------------
; kernel entry points

int80_entry:
    push ds
    push es
    push ebx
    push ecx
    push edx
    push esi
    push edi
    push ebp
    push eax
    mov ax, SEL_DATA0
    mov ds, ax
    mov es, ax
    pop eax
    inc dword [int80_calls]
    call dispatch
    pop ebp
    pop edi
    pop esi
    pop edx
    pop ecx
    pop ebx
    pop es
    pop ds
    iretd

sysenter_entry:
    push ds
    push es
    push ecx                                ; user ESP
    push edx                                ; user EIP
    push ebx
    push esi
    push edi
    push ebp
    push eax
    mov ax, SEL_DATA0
    mov ds, ax
    mov es, ax
    pop eax
    inc dword [sysenter_calls]
    mov ecx, esi
    mov edx, edi
    call dispatch
    pop ebp
    pop edi
    pop esi
    pop ebx
    pop edx
    pop ecx
    pop es
    pop ds
    sti                                     ; sysenter cleared IF; the user runs with IF = 1
    sysexit

; dispatch: EAX = number, EBX, ECX, EDX = arguments -> EAX (may clobber ECX, EDX, ESI, EDI)
dispatch:
    cmp eax, 1
    je .add
    cmp eax, 2
    je .tick
    cmp eax, 3
    je .write
    cmp eax, 4
    je .read
    mov eax, ENOSYS
    ret
.add:
    lea eax, [ebx + ecx]
    ret
.tick:
    inc dword [ticks]
    mov eax, [ticks]
    ret
.write:                                     ; buf = EBX, len = ECX (<= 256)
    mov esi, ebx
    mov edi, kbuf
    xor eax, eax
    xor edx, edx
.wloop:
    test ecx, ecx
    jz .wdone
    mov dl, [esi]
    mov [edi], dl
    add eax, edx
    inc esi
    inc edi
    dec ecx
    jmp .wloop
.wdone:
    ret
.read:                                      ; buf = EBX, len = ECX, seed = EDX
    mov edi, ebx
    push ecx
    xor esi, esi
.rloop:
    cmp esi, ecx
    jae .rdone
    lea eax, [esi * 8]
    sub eax, esi
    add eax, edx
    mov [edi + esi], al
    inc esi
    jmp .rloop
.rdone:
    pop eax
    ret

; -------------------------------------------------------------------------------------
; ring 3

; SYSCALL_SE: sysenter with EAX = number, EBX/ESI/EDI = arguments
%macro SYSCALL_SE 0
    mov ecx, esp
    mov edx, %%back
    sysenter
%%back:
%endmacro

user_main:
    mov ebp, 0xEBBE0000
    mov dword [round], 0
    mov dword [last_tick], 0
.loop:
    mov [saved_esp], esp
    ; add through int 0x80
    mov eax, 1
    mov ebx, [round]
    mov ecx, ebx
    lea ecx, [ecx + ecx * 2]
    mov esi, 0x51515151
    mov edi, 0xD1D1D1D1
    int 0x80
    mov edx, [round]
    shl edx, 2
    CHECK_EQ eax, edx, 10, "int 0x80 add(i, 3i)"
    CHECK_EQ ebx, [round], 10, "EBX preserved by int 0x80"
    CHECK_EQ esi, 0x51515151, 10, "ESI preserved by int 0x80"
    CHECK_EQ edi, 0xD1D1D1D1, 10, "EDI preserved by int 0x80"
    CHECK_EQ ebp, 0xEBBE0000, 10, "EBP preserved by int 0x80"
    mov eax, esp
    CHECK_EQ eax, [saved_esp], 10, "ESP preserved by int 0x80"
    ; add through sysenter
    mov eax, 1
    mov ebx, [round]
    mov esi, 7
    mov edi, 0x0D0D0D0D
    SYSCALL_SE
    mov edx, [round]
    add edx, 7
    CHECK_EQ eax, edx, 11, "sysenter add(i, 7)"
    CHECK_EQ esi, 7, 11, "ESI preserved by sysenter"
    CHECK_EQ edi, 0x0D0D0D0D, 11, "EDI preserved by sysenter"
    CHECK_EQ ebp, 0xEBBE0000, 11, "EBP preserved by sysenter"
    mov eax, esp
    CHECK_EQ eax, [saved_esp], 11, "ESP after sysexit"
    pushfd
    pop eax
    and eax, EFL_IF
    CHECK_EQ eax, EFL_IF, 11, "IF after sysexit"
    ; ticks alternate between the paths and must be consecutive
    mov eax, 2
    int 0x80
    mov edx, [last_tick]
    inc edx
    CHECK_EQ eax, edx, 12, "tick through int 0x80"
    mov [last_tick], eax
    mov eax, 2
    SYSCALL_SE
    mov edx, [last_tick]
    inc edx
    CHECK_EQ eax, edx, 12, "tick through sysenter"
    mov [last_tick], eax
    ; every 64 rounds: write and read
    test dword [round], 63
    jnz .next
    call user_io
.next:
    inc dword [round]
    cmp dword [round], ITERATIONS
    jb .loop

    ; unknown numbers
    mov eax, 99
    int 0x80
    CHECK_EQ eax, ENOSYS, 14, "unknown number through int 0x80"
    mov eax, 99
    SYSCALL_SE
    CHECK_EQ eax, ENOSYS, 14, "unknown number through sysenter"
    mov eax, 0x5CA11
    RETURN_TO_RING0

; write and read through both paths (rounds that are multiples of 64)
user_io:
    ; fill ubuf with round-dependent bytes and compute their sum
    xor ecx, ecx
    xor edx, edx
.fill:
    mov eax, [round]
    add eax, ecx
    imul eax, eax, 13
    mov [ubuf + ecx], al
    movzx eax, al
    add edx, eax
    inc ecx
    cmp ecx, 200
    jb .fill
    mov [expected_sum], edx
    mov eax, 3
    mov ebx, ubuf
    mov ecx, 200
    int 0x80
    CHECK_EQ eax, [expected_sum], 13, "write through int 0x80: byte sum"
    mov eax, 3
    mov ebx, ubuf
    mov esi, 200
    SYSCALL_SE
    CHECK_EQ eax, [expected_sum], 13, "write through sysenter: byte sum"
    ; read with a seed, through int 0x80
    mov eax, 4
    mov ebx, ubuf
    mov ecx, 100
    mov edx, [round]
    int 0x80
    CHECK_EQ eax, 100, 13, "read through int 0x80: length"
    mov edx, [round]
    call check_ubuf
    ; and through sysenter
    mov eax, 4
    mov ebx, ubuf
    mov esi, 100
    mov edi, [round]
    add edi, 5
    SYSCALL_SE
    CHECK_EQ eax, 100, 13, "read through sysenter: length"
    mov edx, [round]
    add edx, 5
    call check_ubuf
    ret

; check_ubuf: EDX = seed; ubuf[i] must be (i * 7 + seed) & 0xff for i < 100
check_ubuf:
    xor ecx, ecx
.c:
    lea eax, [ecx * 8]
    sub eax, ecx
    add eax, edx
    movzx eax, al
    movzx ebx, byte [ubuf + ecx]
    CHECK_EQ ebx, eax, 13, "byte filled in by read"
    inc ecx
    cmp ecx, 100
    jb .c
    ret

section .data
int80_calls:    dd 0
sysenter_calls: dd 0
ticks:          dd 0
round:          dd 0
last_tick:      dd 0
saved_esp:      dd 0
expected_sum:   dd 0

section .bss
alignb 16
kbuf:               resb 256
ubuf:               resb 256
user_stack:         resb 8192
user_stack_top:
sysenter_stack:     resb 4096
sysenter_stack_top:
