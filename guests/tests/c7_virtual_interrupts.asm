; c7_virtual_interrupts: timer interrupts from the 8254 PIT through the 8259 PIC and the IDT.
;
; Ring 0 remaps the master PIC to vector 0x20 (slave 0x28) with ICW1-ICW4, unmasks IRQ 0 only,
; and programs PIT channel 0 in mode 2 (rate generator) at about 2 kHz. Vector 0x20 is an
; interrupt gate (DPL 0) to a handler that counts ticks in a page the user may read but not
; write, records its frame, sends a non-specific EOI and irets. Then:
;   (a) ring 3 (IOPL 0, IF = 1) spins until the tick count it reads has advanced by
;       USER_TICKS. Every interrupt taken there must arrive through the gate with a privilege
;       change: the handler runs on TSS.SS0:ESP0 (entry ESP = ESP0 - 20) with IF = 0, and the
;       frame holds the user's SS 0x23, ESP, EFLAGS (IF = 1, IOPL 0), CS 0x1b and an EIP in the
;       user's code (inside the spin loop ESP must be exactly the loop's ESP);
;   (d) the spin loop checks on every round that the flags it set (OF, SF, CF, PF, ZF = 0) and
;       the registers it keeps constant (EAX, ESI, EDI, EBP, ESP) survive the interrupts, and
;       after the loop that IF is still set, IOPL is 0 and CS/DS/ES/SS are the user's;
;   (b) in ring 0 with IF = 0, IRQ 0 becomes pending in the master IRR (OCW3 read IRR) and
;       stays pending while the PIT counter reloads HELD_PERIODS more times: no tick is
;       counted, IRR bit 0 is still set, ISR is 0 (nothing was acknowledged);
;   (c) `sti` followed by `mov dword [marker], 1` and `nop`: the pending interrupt is taken
;       right after the mov (the one-instruction sti shadow): the handler sees marker = 1,
;       the return EIP is the nop, CS is 0x08 and the 3-dword frame sits right below the
;       interrupted ESP (no stack switch); then HLT_ROUNDS times `sti; hlt` is woken by the
;       timer with the return EIP after hlt.
; All waits are bounded: a timer that never fires fails the test instead of hanging it.

%define TEST_NAME "c7_virtual_interrupts"
%include "lib.inc"

VEC_TIMER    equ 0x20                   ; master PIC base; the slave gets 0x28
PIT_DIVISOR  equ 597                    ; 1193182 / 597 = about 1999 Hz
USER_TICKS   equ 20                     ; (a): ticks the ring 3 loop waits for
SPIN_LIMIT   equ 20000000               ; (a): loop rounds before giving up
WAIT_LIMIT   equ 10000000               ; (b): polls before giving up
HELD_PERIODS equ 4                      ; (b): PIT periods IRQ 0 is held pending
HLT_ROUNDS   equ 5                      ; (c): sti; hlt rounds
USER_DONE    equ 0x600D

USER_ESI     equ 0x5A5A1234             ; registers the ring 3 loop keeps constant
USER_EDI     equ 0x0F1E2D3C
USER_EBP     equ 0x13579BDF
LOOP_FLAGS   equ EFL_OF | 0x80 | 0x40 | 0x4 | EFL_CF   ; OF, SF, ZF, PF, CF as the loop checks them
LOOP_EXPECT  equ EFL_OF | 0x80 | 0x4 | EFL_CF          ; ... and their values (ZF = 0)

; the timer handler's stack after its four pushes
F_EIP    equ 16
F_CS     equ 20
F_EFLAGS equ 24
F_ESP    equ 28                         ; only from ring 3
F_SS     equ 32

section .text
test_main:
    call lib_setup_tss
    mov eax, PG_P | PG_RW | PG_US
    call lib_identity_paging
    mov eax, tick_page
    shr eax, 12
    and dword [lib_pts + eax * 4], ~PG_RW   ; the user may read the tick count, not write it
    call lib_enable_paging
    mov eax, VEC_TIMER
    mov ebx, timer_handler
    mov ecx, SEL_CODE0
    mov dl, GATE_INT0
    call lib_set_gate

    call pic_init
    in al, 0x21
    movzx eax, al
    CHECK_EQ eax, 0xFE, 1, "master IMR read back after OCW1"
    in al, 0xA1
    movzx eax, al
    CHECK_EQ eax, 0xFF, 1, "slave IMR read back after OCW1"
    call pit_init
    OK "PIC remapped to 0x20/0x28 (IRQ 0 unmasked only), PIT channel 0 mode 2 at ~2 kHz"

    ; ---- (a) and (d): timer interrupts while ring 3 runs
    mov dword [user_ticks], 0
    mov dword [spin_ticks], 0
    mov dword [kernel_ticks], 0
    mov eax, [ticks]
    mov [ticks_at_start], eax
    mov eax, user_main
    mov ebx, user_stack_top
    mov ecx, EFL_IF | 0x2
    call lib_enter_ring3                    ; back with IF = 0 (int VEC_RETURN0 is an interrupt gate)
    CHECK_EQ eax, USER_DONE, 2, "the ring 3 loop did not finish"
    cmp dword [bad_frames], 0
    je .frames_ok
    PRINT "first wrong interrupt frame from ring 3: eip "
    call print_user_frame
    FAIL 2, "a timer interrupt from ring 3 had a wrong frame or handler stack (see above)"
.frames_ok:
    CHECK_EQ [kernel_ticks], 0, 2, "timer interrupts taken in ring 0 while ring 0 had IF = 0"
    mov eax, [ticks]
    sub eax, [ticks_at_start]
    CHECK_EQ [user_ticks], eax, 2, "interrupts taken from ring 3 vs ticks counted"
    mov eax, [user_advance]
    mov edx, USER_TICKS
    call check_ae_2
    mov eax, [spin_ticks]
    mov edx, 1
    call check_ae_2
    PRINT "  ring 3 saw the tick count advance by "
    mov eax, [user_advance]
    call lib_putdec
    PRINT " in "
    mov eax, [user_iters]
    call lib_putdec
    PRINT " rounds; "
    mov eax, [user_ticks]
    call lib_putdec
    PRINT " interrupts from ring 3, "
    mov eax, [spin_ticks]
    call lib_putdec
    PRINT " inside the spin loop; last frame: eip "
    call print_user_frame
    OK "(a) IRQ 0 from ring 3: gate, TSS stack (ESP0 - 20, SS0), frame SS/ESP/EFLAGS/CS/EIP, IF = 0 in the handler"
    OK "(d) iret back to ring 3: registers, arithmetic flags, IF, IOPL and segments intact"

    ; ---- (b) cli holds the interrupt (IF = 0 since the return from ring 3)
    mov ebx, [ticks]
    mov ecx, WAIT_LIMIT
.wait_irr:
    call read_irr
    test al, 1
    jnz .pending
    dec ecx
    jnz .wait_irr
    FAIL 4, "IRQ 0 never showed up in the master IRR while IF = 0"
.pending:
    mov ecx, HELD_PERIODS
    call wait_pit_periods
    mov eax, [ticks]
    CHECK_EQ eax, ebx, 4, "tick count changed while IF = 0 (cli must hold the interrupt)"
    call read_irr
    and eax, 1
    CHECK_EQ eax, 1, 4, "master IRR bit 0 after waiting with IF = 0"
    call read_isr
    CHECK_EQ eax, 0, 4, "master ISR while IF = 0 (nothing may have been acknowledged)"
    OK "(b) with IF = 0, IRQ 0 stays pending in IRR over 4 more PIT periods, no tick, ISR = 0"

    ; ---- (c) sti delivers the pending interrupt after the one-instruction shadow
    mov dword [marker], 0
    mov dword [cap_armed], 1
    mov [esp_at_sti], esp
    sti
.after_sti:
    mov dword [marker], 1                   ; inside the sti shadow: must run first
.after_marker:
    nop                                     ; the interrupt comes before this one
    nop
    cli
    CHECK_EQ [cap_armed], 0, 5, "no interrupt between sti and cli although IRQ 0 was pending"
    CHECK_EQ [cap_marker], 1, 5, "marker seen by the handler (0: taken inside the sti shadow)"
    CHECK_EQ [cap_eip], .after_marker, 5, "return EIP: right after the instruction following sti"
    CHECK_EQ [cap_cs], SEL_CODE0, 5, "CS in the frame of an interrupt from ring 0"
    mov eax, [cap_eflags]
    and eax, EFL_IF | EFL_IOPL
    CHECK_EQ eax, EFL_IF, 5, "EFLAGS.IF/IOPL in the frame"
    mov eax, [esp_at_sti]
    sub eax, 12
    CHECK_EQ [cap_frame], eax, 5, "frame address: no stack switch, EIP/CS/EFLAGS below the interrupted ESP"
    OK "(c) sti; mov [marker], 1; nop: the handler saw marker = 1 and returned to the nop"

    mov ebp, HLT_ROUNDS
.hlt_round:
    mov ebx, [ticks]
    mov dword [cap_armed], 1
    sti
    hlt
.after_hlt:
    cli
    CHECK_EQ [cap_armed], 0, 6, "sti; hlt went on without an interrupt"
    CHECK_EQ [cap_eip], .after_hlt, 6, "return EIP of the interrupt that woke hlt"
    mov eax, [ticks]
    sub eax, ebx
    mov edx, 1
    call check_ae_6
    dec ebp
    jnz .hlt_round
    OK "(c) sti; hlt woken by the timer 5 times, return EIP after hlt"

    mov al, 0xFF                            ; mask the timer again
    out 0x21, al
    PRINT "  ticks counted: "
    mov eax, [ticks]
    call lib_putdec
    PRINT 10
    ret

; -------------------------------------------------------------------------------------
; PIC and PIT

pic_init:
    mov al, 0x11                            ; ICW1: edge triggered, cascade, ICW4 follows
    out 0x20, al
    out 0xA0, al
    mov al, VEC_TIMER                       ; ICW2: vector bases
    out 0x21, al
    mov al, VEC_TIMER + 8
    out 0xA1, al
    mov al, 0x04                            ; ICW3: slave on IR2 / slave identity 2
    out 0x21, al
    mov al, 0x02
    out 0xA1, al
    mov al, 0x01                            ; ICW4: 8086 mode, normal EOI
    out 0x21, al
    out 0xA1, al
    mov al, 0xFE                            ; OCW1: IRQ 0 only
    out 0x21, al
    mov al, 0xFF
    out 0xA1, al
    ret

pit_init:
    mov al, 0x34                            ; channel 0, lobyte/hibyte, mode 2, binary
    out 0x43, al
    mov al, PIT_DIVISOR & 0xFF
    out 0x40, al
    mov al, PIT_DIVISOR >> 8
    out 0x40, al
    ret

; read_irr / read_isr: EAX = the master's IRR / ISR (OCW3)
read_irr:
    mov al, 0x0A
    out 0x20, al
    in al, 0x20
    movzx eax, al
    ret

read_isr:
    mov al, 0x0B
    out 0x20, al
    in al, 0x20
    movzx eax, al
    ret

; pit_read: EAX = channel 0 count (latched)
pit_read:
    xor eax, eax                            ; counter latch command for channel 0
    out 0x43, al
    in al, 0x40
    mov ah, al
    in al, 0x40
    xchg al, ah
    ret

; wait_pit_periods: returns after the channel 0 counter has been reloaded ECX times (a count
; read higher than the one before); fails with code 4 after WAIT_LIMIT reads
wait_pit_periods:
    pushad
    mov edi, WAIT_LIMIT
    call pit_read
    mov edx, eax
.next:
    dec edi
    jz .timeout
    call pit_read
    cmp eax, edx
    mov edx, eax
    jbe .next
    dec ecx
    jnz .next
    popad
    ret
.timeout:
    FAIL 4, "the PIT channel 0 count never reloaded (latched reads of port 0x40)"

; check_ae_N: fails with code N unless EAX >= EDX (unsigned)
%macro CHECK_AE_FN 2
check_ae_%1:
    cmp eax, edx
    jae .ok
    mov [lib_actual], eax
    mov [lib_expected], edx
    mov byte [lib_have_values], 1
    mov esi, .msg
    mov eax, %1
    jmp lib_fail
.ok:
    ret
    [section .rodata]
.msg: db %2, 0
    __SECT__
%endmacro
CHECK_AE_FN 2, "too few ticks seen in ring 3 (expected = the minimum)"
CHECK_AE_FN 6, "the tick count did not advance across sti; hlt (expected = the minimum)"

; print_user_frame: the recorded ring 3 frame, then a newline
print_user_frame:
    mov eax, [uf_eip]
    call lib_puthex
    PRINT " cs "
    mov eax, [uf_cs]
    call lib_puthex
    PRINT " eflags "
    mov eax, [uf_eflags]
    call lib_puthex
    PRINT " esp "
    mov eax, [uf_esp]
    call lib_puthex
    PRINT " ss "
    mov eax, [uf_ss]
    call lib_puthex
    PRINT 10, "    handler: entry esp "
    mov eax, [uf_entry_esp]
    call lib_puthex
    PRINT " (ESP0 - 20 = "
    mov eax, lib_kstack_top - 20
    call lib_puthex
    PRINT ") ss "
    mov eax, [uf_handler_ss]
    call lib_puthex
    PRINT " eflags.if "
    mov eax, [uf_handler_if]
    call lib_puthex
    PRINT 10
    ret

; -------------------------------------------------------------------------------------
; The timer handler (vector 0x20, interrupt gate, DPL 0)

timer_handler:
    push ds
    push eax
    push edx
    push ecx
    mov ax, SEL_DATA0
    mov ds, ax
    inc dword [ticks]
    test byte [esp + F_CS], 3
    jz .from_ring0

    ; from ring 3: check the frame and where the handler runs
    inc dword [user_ticks]
    xor ecx, ecx                            ; 0 = the frame is right
    movzx eax, word [esp + F_CS]
    cmp eax, SEL_CODE3
    setne dl
    or cl, dl
    movzx eax, word [esp + F_SS]
    cmp eax, SEL_DATA3
    setne dl
    or cl, dl
    mov eax, [esp + F_EFLAGS]
    and eax, EFL_IF | EFL_IOPL | EFL_VM | EFL_NT
    cmp eax, EFL_IF
    setne dl
    or cl, dl
    lea eax, [esp + F_EIP]
    cmp eax, lib_kstack_top - 20
    setne dl
    or cl, dl
    mov eax, ss
    movzx eax, ax
    cmp eax, SEL_DATA0
    setne dl
    or cl, dl
    pushfd
    pop eax
    test eax, EFL_IF
    setnz dl
    or cl, dl
    mov eax, [esp + F_EIP]
    mov edx, [esp + F_ESP]
    cmp eax, user_spin
    jb .outside_spin
    cmp eax, user_spin_end
    jae .outside_spin
    inc dword [spin_ticks]
    cmp edx, user_stack_top                 ; the spin loop uses no stack
    je .esp_checked
    or cl, 1
    jmp .esp_checked
.outside_spin:
    cmp eax, user_main                      ; elsewhere: user code (or lib code it calls)
    jb .eip_bad
    cmp eax, user_end
    jb .eip_ok
    cmp eax, lib_pass                       ; lib_check, lib_fail: called by CHECK_EQ/FAIL
    jb .eip_bad
    cmp eax, lib_putc
    jb .eip_ok
.eip_bad:
    or cl, 1
.eip_ok:
    cmp edx, user_stack_top                 ; and ESP on the user stack
    ja .esp_bad
    cmp edx, user_stack
    ja .esp_checked
.esp_bad:
    or cl, 1
.esp_checked:
    cmp dword [bad_frames], 0
    jne .frozen                             ; keep the first wrong frame
    mov eax, [esp + F_EIP]
    mov [uf_eip], eax
    movzx eax, word [esp + F_CS]
    mov [uf_cs], eax
    mov eax, [esp + F_EFLAGS]
    mov [uf_eflags], eax
    mov eax, [esp + F_ESP]
    mov [uf_esp], eax
    movzx eax, word [esp + F_SS]
    mov [uf_ss], eax
    lea eax, [esp + F_EIP]
    mov [uf_entry_esp], eax
    mov eax, ss
    movzx eax, ax
    mov [uf_handler_ss], eax
    pushfd
    pop eax
    and eax, EFL_IF
    mov [uf_handler_if], eax
.frozen:
    test cl, cl
    jz .eoi
    inc dword [bad_frames]
    jmp .eoi

.from_ring0:
    inc dword [kernel_ticks]
    cmp dword [cap_armed], 0
    je .eoi
    mov dword [cap_armed], 0                ; record the first interrupt after arming
    mov eax, [marker]
    mov [cap_marker], eax
    mov eax, [esp + F_EIP]
    mov [cap_eip], eax
    movzx eax, word [esp + F_CS]
    mov [cap_cs], eax
    mov eax, [esp + F_EFLAGS]
    mov [cap_eflags], eax
    lea eax, [esp + F_EIP]
    mov [cap_frame], eax

.eoi:
    mov al, 0x20                            ; non-specific EOI to the master
    out 0x20, al
    pop ecx
    pop edx
    pop eax
    pop ds
    iretd

; -------------------------------------------------------------------------------------
; Ring 3 (IOPL 0, IF = 1). Up to user_spin_end nothing touches the stack.

user_main:
    mov esi, USER_ESI
    mov edi, USER_EDI
    mov ebp, USER_EBP
    mov ebx, [ticks]                        ; baseline (read from the user read-only page)
    xor ecx, ecx
user_spin:
    mov eax, 0x7FFFFFFF
    add eax, 1                              ; OF = SF = PF = 1, ZF = CF = 0
    stc                                     ; CF = 1
    mov edx, [ticks]                        ; mov, lea and the jumps keep the flags
    lea ecx, [ecx + 1]
    jno user_flags_lost
    jns user_flags_lost
    jnc user_flags_lost
    jz user_flags_lost
    jnp user_flags_lost
    cmp eax, 0x80000000
    jne user_regs_lost
    cmp esi, USER_ESI
    jne user_regs_lost
    cmp edi, USER_EDI
    jne user_regs_lost
    cmp ebp, USER_EBP
    jne user_regs_lost
    cmp esp, user_stack_top
    jne user_regs_lost
    sub edx, ebx
    cmp edx, USER_TICKS
    jae user_spin_end
    cmp ecx, SPIN_LIMIT
    jb user_spin
    jmp user_timeout
user_spin_end:
    mov [user_iters], ecx
    mov [user_advance], edx
    pushfd
    pop eax
    and eax, EFL_IF | EFL_IOPL
    CHECK_EQ eax, EFL_IF, 3, "ring 3: EFLAGS.IF/IOPL after the interrupts"
    mov eax, cs
    movzx eax, ax
    CHECK_EQ eax, SEL_CODE3, 3, "ring 3: CS after the interrupts"
    mov eax, ss
    movzx eax, ax
    CHECK_EQ eax, SEL_DATA3, 3, "ring 3: SS after the interrupts"
    mov eax, ds
    movzx eax, ax
    CHECK_EQ eax, SEL_DATA3, 3, "ring 3: DS after the interrupts"
    mov eax, es
    movzx eax, ax
    CHECK_EQ eax, SEL_DATA3, 3, "ring 3: ES after the interrupts"
    mov eax, USER_DONE
    RETURN_TO_RING0
user_flags_lost:
    pushfd
    pop eax
    and eax, LOOP_FLAGS
    CHECK_EQ eax, LOOP_EXPECT, 3, "ring 3: arithmetic flags changed across a timer interrupt"
    FAIL 3, "ring 3: flag check failed"
user_regs_lost:
    CHECK_EQ eax, 0x80000000, 3, "ring 3: EAX changed across a timer interrupt"
    CHECK_EQ esi, USER_ESI, 3, "ring 3: ESI changed across a timer interrupt"
    CHECK_EQ edi, USER_EDI, 3, "ring 3: EDI changed across a timer interrupt"
    CHECK_EQ ebp, USER_EBP, 3, "ring 3: EBP changed across a timer interrupt"
    mov eax, esp
    CHECK_EQ eax, user_stack_top, 3, "ring 3: ESP changed across a timer interrupt"
    FAIL 3, "ring 3: register check failed"
user_timeout:
    mov [user_advance], edx
    FAIL 2, "ring 3: the tick count did not advance by 20 within the spin limit"
user_end:

section .data
align 4
ticks_at_start: dd 0
user_ticks:     dd 0                    ; interrupts taken from ring 3
spin_ticks:     dd 0                    ; ... with EIP inside the spin loop
kernel_ticks:   dd 0                    ; interrupts taken from ring 0
bad_frames:     dd 0
uf_eip:         dd 0                    ; last (or first wrong) ring 3 frame
uf_cs:          dd 0
uf_eflags:      dd 0
uf_esp:         dd 0
uf_ss:          dd 0
uf_entry_esp:   dd 0
uf_handler_ss:  dd 0
uf_handler_if:  dd 0
user_iters:     dd 0
user_advance:   dd 0
marker:         dd 0
cap_armed:      dd 0                    ; 1: the next ring 0 interrupt records cap_*
cap_marker:     dd 0
cap_eip:        dd 0
cap_cs:         dd 0
cap_eflags:     dd 0
cap_frame:      dd 0
esp_at_sti:     dd 0

section .bss
alignb 4096
tick_page:                              ; user read-only
ticks:          resd 1
                resb 4096 - 4
alignb 16
user_stack:     resb 8192
user_stack_top:
