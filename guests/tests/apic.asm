; apic: the local APIC and the I/O APIC as a PC guest meets them (SDM Vol. 3, "Advanced
; Programmable Interrupt Controller"; the 82093AA I/O APIC).
;
;   (a) CPUID.1:EDX.APIC is set, IA32_APIC_BASE says 0xFEE00000 with EN and BSP, the APIC
;       ID is 0 and the version register says an integrated APIC with 6 LVT entries;
;   (b) enabled through the spurious-vector register; a one-shot timer (divide by 1) counts
;       down while masked (two reads of the current count decrease); reloaded unmasked, it
;       interrupts once at vector 0x40 and leaves the count at 0; a periodic timer interrupts again and again until masked;
;   (b2) when CPUID offers it, the TSC-deadline mode: IA32_TSC_DEADLINE fires at its deadline
;       (written after MFENCE; LFENCE as Linux does) and then reads 0, a past deadline fires at once,
;       0 disarms, the initial and current count registers read 0;
;   (c) a self-IPI (ICR shorthand "self") at vector 0x50 while TPR = 0x50 stays pending in
;       IRR; lowering TPR to 0x40 delivers it at once; in its handler ISR holds 0x50 and PPR
;       is 0x50; after EOI, ISR is clear;
;   (d) an IPI with the illegal vector 3 sets "send illegal vector" in ESR (after a write);
;   (e) the I/O APIC's version register says 24 pins; the PIT, on pin 2 (as the MADT's
;       interrupt source override says), routed to vector 0x60, interrupts through it;
;   (f) a self-IPI in NMI mode is taken with IF = 0 through vector 2; a second one sent from
;       inside the NMI handler waits for the handler's IRET (NMI blocking), then is taken;
;   (g) x2APIC (SDM 10.12): CPUID.1:ECX.x2APIC is set; its MSRs #GP in xAPIC mode; EXTD
;       switches to x2APIC mode: MSR 0x802 is the ID, 0x803 the version, a self IPI through
;       the SELF IPI MSR (0x83F) and one through the 64-bit ICR (0x830) are taken and ended
;       with the EOI MSR (0x80B); leaving x2APIC for xAPIC directly is #GP, through the
;       disabled state it works;
;   (h) QEMU's pc-testdev: its scratch port and memory read back; a level-triggered, active
;       high I/O APIC pin (GSI 14) driven high through port 0x200E interrupts once; the
;       handler lowers the line before its EOI, and the EOI clears Remote IRR;
;   (i) directed EOI, when the version register offers it (bit 24): with SVR bit 12 set the
;       local EOI of a level-triggered vector leaves Remote IRR set (a line still high does
;       not interrupt again) until the I/O APIC's EOI register is written;
;   (j) the performance-counter interrupt, when the P6 counters count (QEMU's TCG has none:
;       skipped): PERFCTR0 loaded with -1000, counting instructions retired with INT set,
;       raises LVT PMC's vector 0x68 once it wraps; delivery masks the LVT PMC entry, the
;       counter has wrapped to a small value, and a counter without INT raises nothing.
; All waits are bounded: a timer that never fires fails the test instead of hanging it.

%define TEST_NAME "apic"
%include "lib.inc"

APIC          equ 0xFEE00000
APIC_ID       equ APIC + 0x20
APIC_VER      equ APIC + 0x30
APIC_TPR      equ APIC + 0x80
APIC_PPR      equ APIC + 0xA0
APIC_EOI      equ APIC + 0xB0
APIC_SVR      equ APIC + 0xF0
APIC_ISR2     equ APIC + 0x120          ; ISR bits 64-95
APIC_IRR2     equ APIC + 0x220          ; IRR bits 64-95
APIC_ESR      equ APIC + 0x280
APIC_ICR_LO   equ APIC + 0x300
APIC_ICR_HI   equ APIC + 0x310
APIC_LVT_TMR  equ APIC + 0x320
APIC_LVT_PMC  equ APIC + 0x340
APIC_LVT_ERR  equ APIC + 0x370
APIC_TMR_INIT equ APIC + 0x380
APIC_TMR_CUR  equ APIC + 0x390
APIC_TMR_DIV  equ APIC + 0x3E0
IOAPIC_SEL    equ 0xFEC00000
IOAPIC_WIN    equ 0xFEC00010
IOAPIC_EOI    equ 0xFEC00040

VEC_TIMER     equ 0x40
VEC_IPI       equ 0x50
VEC_PIT       equ 0x60
VEC_SPURIOUS  equ 0xFF
VEC_X2        equ 0x58
VEC_TESTDEV   equ 0x62
VEC_PMC       equ 0x68
MSR_PERFCTR0  equ 0xC1
MSR_PERFEVTSEL0 equ 0x186
EVT_INST_RETIRED equ 0xC0
EVT_USR_OS    equ 3 << 16
EVT_INT       equ 1 << 20
EVT_EN        equ 1 << 22
LVT_MASKED    equ 0x10000
LVT_PERIODIC  equ 0x20000
LVT_TSC_DEADLINE equ 0x40000
MSR_TSC_DEADLINE equ 0x6E0
WAIT_LIMIT    equ 2000000               ; hlt rounds before giving up

section .text
test_main:
    ; ---- (a) identification
    mov eax, 1
    cpuid
    test edx, 1 << 9
    jnz .has_apic
    FAIL EXIT_NO_FEATURE, "CPUID.1:EDX.APIC is clear"
.has_apic:
    mov ecx, 0x1B
    rdmsr
    CHECK_EQ eax, APIC | 0x900, 1, "IA32_APIC_BASE: base 0xfee00000, EN, BSP"
    CHECK_EQ [APIC_ID], 0, 1, "APIC ID 0"
    mov eax, [APIC_VER]
    and eax, 0x00FF00FF
    CHECK_EQ eax, 0x00050014, 1, "version 0x14, max LVT entry 5"
    OK "CPUID, IA32_APIC_BASE, ID and version"

    mov eax, VEC_TIMER
    mov ebx, timer_handler
    call lib_set_int_gate
    mov eax, VEC_IPI
    mov ebx, ipi_handler
    call lib_set_int_gate
    mov eax, VEC_PIT
    mov ebx, pit_handler
    call lib_set_int_gate
    mov eax, VEC_SPURIOUS
    mov ebx, spurious_handler
    call lib_set_int_gate

    ; ---- (b) the timer
    mov dword [APIC_SVR], 0x100 | VEC_SPURIOUS
    mov dword [APIC_TMR_DIV], 0xB           ; divide by 1
    mov dword [APIC_LVT_TMR], LVT_MASKED | VEC_TIMER   ; one-shot; masked while the count is watched
    mov dword [APIC_TMR_INIT], 50000000     ; 50 ms at the 1 GHz bus clock
    mov eax, [APIC_TMR_CUR]
    mov ecx, 100000
.spin:
    dec ecx
    jnz .spin
    mov ebx, [APIC_TMR_CUR]
    cmp ebx, eax
    jb .counts_down
    FAIL 2, "the current count does not decrease"
.counts_down:
    cmp eax, 50000000
    jbe .count_ok
    FAIL 2, "the current count is above the initial count"
.count_ok:
    mov dword [APIC_LVT_TMR], VEC_TIMER     ; one-shot, unmasked
    mov dword [APIC_TMR_INIT], 200000       ; reload: 0.2 ms
    mov ebx, 1
    call wait_ticks
    CHECK_EQ [APIC_TMR_CUR], 0, 2, "one-shot: the count stays at 0"
    mov ecx, 2000000
.quiet:
    dec ecx
    jnz .quiet
    CHECK_EQ [ticks], 1, 2, "one-shot: one interrupt only"
    OK "one-shot timer: counts down, one interrupt at vector 0x40"
    mov dword [APIC_LVT_TMR], LVT_PERIODIC | VEC_TIMER
    mov dword [APIC_TMR_INIT], 100000       ; every 0.1 ms
    mov ebx, 6
    call wait_ticks
    mov dword [APIC_LVT_TMR], LVT_MASKED | LVT_PERIODIC | VEC_TIMER
    OK "periodic timer: interrupts again and again until masked"

    ; ---- (b2) TSC-deadline mode (SDM 10.5.4.1), when CPUID.1:ECX bit 24 offers it
    mov eax, 1
    cpuid
    test ecx, 1 << 24
    jnz .deadline
    OK "TSC-deadline timer not offered (CPUID.1:ECX bit 24 clear): skipped"
    jmp .deadline_done
.deadline:
    mov dword [APIC_LVT_TMR], LVT_TSC_DEADLINE | VEC_TIMER
    mov ecx, MSR_TSC_DEADLINE
    rdmsr
    CHECK_EQ eax, 0, 70, "IA32_TSC_DEADLINE reads 0 while disarmed"
    mov dword [APIC_TMR_INIT], 1000
    CHECK_EQ [APIC_TMR_INIT], 0, 71, "the initial count is ignored in TSC-deadline mode"
    CHECK_EQ [APIC_TMR_CUR], 0, 71, "the current count reads 0 in TSC-deadline mode"
    mov esi, [ticks]
    rdtsc
    add eax, 2000000                        ; 2 ms ahead
    adc edx, 0
    mov ecx, MSR_TSC_DEADLINE
    mfence                                  ; as Linux fences the write (weak_wrmsr_fence)
    lfence
    wrmsr
    mov edi, eax
    rdmsr
    CHECK_EQ eax, edi, 72, "IA32_TSC_DEADLINE reads back while armed"
    lea ebx, [esi + 1]
    call wait_ticks
    mov ecx, MSR_TSC_DEADLINE
    rdmsr
    or eax, edx
    CHECK_EQ eax, 0, 73, "IA32_TSC_DEADLINE reads 0 once the timer fired"
    mov esi, [ticks]
    mov eax, 1                              ; long past: fires at once
    xor edx, edx
    wrmsr
    lea ebx, [esi + 1]
    call wait_ticks
    mov esi, [ticks]
    rdtsc
    add eax, 2000000
    adc edx, 0
    mov ecx, MSR_TSC_DEADLINE
    wrmsr
    xor eax, eax                            ; 0 disarms
    xor edx, edx
    wrmsr
    sti
    rdtsc
    mov edi, eax
.deadline_spin:
    pause
    rdtsc
    sub eax, edi
    cmp eax, 10000000                       ; 10 ms: well past the cancelled deadline
    jb .deadline_spin
    cli
    CHECK_EQ [ticks], esi, 74, "a deadline disarmed with 0 does not fire"
    mov dword [APIC_LVT_TMR], LVT_MASKED | VEC_TIMER
    sfence
    OK "TSC-deadline timer: fires at its deadline or at once if past, 0 disarms, counts read 0"
.deadline_done:

    ; ---- (c) TPR and a self-IPI
    cli
    mov dword [APIC_TPR], 0x50
    mov dword [APIC_ICR_LO], 0x40000 | VEC_IPI   ; shorthand: self, fixed
    sti
    nop
    nop
    CHECK_EQ [ipis], 0, 3, "TPR 0x50 holds back vector 0x50"
    mov eax, [APIC_IRR2]
    and eax, 1 << (VEC_IPI - 64)
    CHECK_EQ eax, 1 << (VEC_IPI - 64), 3, "vector 0x50 pending in IRR"
    mov dword [APIC_TPR], 0x40
    jmp .tpr_lowered                        ; (an interrupt an MMIO write unblocks is taken by the next jump)
.tpr_lowered:
    CHECK_EQ [ipis], 1, 3, "lowering TPR delivers it"
    CHECK_EQ [ipi_isr], 1 << (VEC_IPI - 64), 3, "ISR holds 0x50 in the handler"
    CHECK_EQ [ipi_ppr], 0x50, 3, "PPR is the in-service class in the handler"
    CHECK_EQ [APIC_ISR2], 0, 3, "ISR clear after EOI"
    mov dword [APIC_TPR], 0
    OK "self-IPI held by TPR, delivered when it drops; ISR, PPR and EOI"

    ; ---- (d) an illegal vector
    mov dword [APIC_LVT_ERR], LVT_MASKED
    mov dword [APIC_ICR_LO], 0x40000 | 3
    mov dword [APIC_ESR], 0
    mov eax, [APIC_ESR]
    CHECK_EQ eax, 0x20, 4, "ESR: send illegal vector"
    OK "ESR reports an IPI with vector 3"

    ; ---- (e) the I/O APIC and the PIT
    mov dword [IOAPIC_SEL], 1
    mov eax, [IOAPIC_WIN]
    CHECK_EQ eax, 0x00170020, 5, "I/O APIC version 0x20, 24 pins"
    mov dword [IOAPIC_SEL], 0x10 + 2 * 2 + 1
    mov dword [IOAPIC_WIN], 0               ; destination: APIC 0
    mov dword [IOAPIC_SEL], 0x10 + 2 * 2
    mov dword [IOAPIC_WIN], VEC_PIT         ; fixed, physical, edge, active high, unmasked
    mov al, 0x34                            ; PIT channel 0, mode 2, about 2 kHz
    out 0x43, al
    mov al, 597 & 0xFF
    out 0x40, al
    mov al, 597 >> 8
    out 0x40, al
    mov ecx, WAIT_LIMIT
.pit_wait:
    cmp dword [pit_ticks], 3
    jae .pit_done
    hlt
    dec ecx
    jnz .pit_wait
    FAIL 5, "no PIT interrupt through I/O APIC pin 2"
.pit_done:
    cli
    mov dword [IOAPIC_WIN], LVT_MASKED | VEC_PIT
    OK "the PIT interrupts through I/O APIC pin 2 at vector 0x60"
    CHECK_EQ [spurious], 0, 6, "no spurious interrupts"

    ; ---- (f) NMI
    mov eax, 2
    mov ebx, nmi_handler
    call lib_set_int_gate
    cli
    mov dword [APIC_ICR_LO], 0x40000 | 0x400   ; shorthand self, delivery mode NMI
    jmp .nmi_sent
.nmi_sent:
    CHECK_EQ [nmis], 2, 7, "two NMIs, the second after the first handler's IRET"
    CHECK_EQ [nmi_nested], 0, 7, "no NMI inside the NMI handler"
    OK "NMI with IF = 0, blocked until the handler's IRET"

    ; ---- (g) x2APIC
    mov eax, 1
    cpuid
    test ecx, 1 << 21
    jnz .has_x2apic
    FAIL 40, "CPUID.1:ECX.x2APIC is clear"
.has_x2apic:
    mov ecx, 0x802
    EXPECT_FAULT 13, 0, 41, rdmsr
    mov eax, VEC_X2
    mov ebx, x2_handler
    call lib_set_int_gate
    mov ecx, 0x1B
    rdmsr
    or eax, 0x400                        ; EXTD: xAPIC -> x2APIC
    wrmsr
    mov ecx, 0x802
    rdmsr
    CHECK_EQ eax, 0, 42, "x2APIC ID (MSR 0x802) is 0"
    mov ecx, 0x803
    rdmsr
    and eax, 0x00FF00FF
    CHECK_EQ eax, 0x00050014, 43, "x2APIC version (MSR 0x803)"
    mov ecx, 0x83F                       ; SELF IPI
    mov eax, VEC_X2
    xor edx, edx
    sti
    wrmsr
    mov ebx, 1
    call wait_x2
    mov ecx, 0x830                       ; ICR: fixed, physical, to x2APIC ID 0 in EDX
    mov eax, 0x4000 | VEC_X2
    xor edx, edx
    sti
    wrmsr
    mov ebx, 2
    call wait_x2
    mov ecx, 0x1B
    rdmsr
    and eax, ~0x400                      ; x2APIC -> xAPIC directly
    EXPECT_FAULT 13, 0, 46, wrmsr
    mov ecx, 0x1B
    rdmsr
    and eax, ~0xC00                      ; x2APIC -> disabled
    wrmsr
    or eax, 0x800                        ; disabled -> xAPIC
    wrmsr
    rdmsr
    and eax, 0xFFFFFF00
    CHECK_EQ eax, APIC | 0x900, 47, "back in xAPIC mode through the disabled state"
    OK "x2APIC: ID, version, SELF IPI and ICR MSRs, EOI MSR, mode transitions"

    ; ---- (h) pc-testdev and a level-triggered I/O APIC pin
    mov dx, 0xE0
    mov eax, 0x12345678
    out dx, eax
    in eax, dx
    CHECK_EQ eax, 0x12345678, 60, "pc-testdev scratch port reads back (run with -device pc-testdev)"
    mov dword [0xFF000010], 0xCAFEBABE
    CHECK_EQ [0xFF000010], 0xCAFEBABE, 61, "pc-testdev memory at 0xFF000000 reads back"
    mov eax, VEC_TESTDEV
    mov ebx, testdev_handler
    call lib_set_int_gate
    mov dword [IOAPIC_SEL], 0x10 + 2 * 14 + 1
    mov dword [IOAPIC_WIN], 0               ; destination: APIC 0
    mov dword [IOAPIC_SEL], 0x10 + 2 * 14
    mov dword [IOAPIC_WIN], VEC_TESTDEV | (1 << 15)   ; fixed, physical, level, active high, unmasked
    mov dx, 0x2000 + 14
    mov al, 1
    sti
    out dx, al                              ; the line goes high
    mov esi, 1000000
.wait_testdev:
    cmp dword [testdev_irqs], 1
    jae .got_testdev
    pause
    dec esi
    jnz .wait_testdev
.got_testdev:
    mov ecx, 100000                         ; a level line still high after EOI would interrupt again
.settle:
    pause
    loop .settle
    cli
    CHECK_EQ [testdev_irqs], 1, 62, "one interrupt from the level-triggered pin"
    mov dword [IOAPIC_SEL], 0x10 + 2 * 14
    mov eax, [IOAPIC_WIN]
    and eax, 1 << 14
    CHECK_EQ eax, 0, 63, "Remote IRR cleared by the EOI"
    mov dword [IOAPIC_WIN], 1 << 16         ; masked again
    OK "pc-testdev: scratch port and memory; a level-triggered GSI with Remote IRR"

    ; ---- (i) directed EOI (SDM 10.8.5: EOI-broadcast suppression)
    mov eax, [APIC_VER]
    test eax, 1 << 24
    jnz .directed
    OK "directed EOI not offered (version bit 24 clear): skipped"
    jmp pmc_part
.directed:
    or dword [APIC_SVR], 0x1000             ; suppress the EOI broadcast
    mov eax, VEC_TESTDEV
    mov ebx, directed_handler
    call lib_set_int_gate
    mov dword [IOAPIC_SEL], 0x10 + 2 * 14
    mov dword [IOAPIC_WIN], VEC_TESTDEV | (1 << 15)   ; level, unmasked
    mov dx, 0x2000 + 14
    mov al, 1
    sti
    out dx, al                              ; the line goes high and stays high
    mov ebx, 1
    call wait_directed
    mov dword [IOAPIC_SEL], 0x10 + 2 * 14
    mov eax, [IOAPIC_WIN]
    and eax, 1 << 14
    CHECK_EQ eax, 1 << 14, 64, "Remote IRR still set after the local APIC's EOI"
    CHECK_EQ [directed_irqs], 1, 65, "a line still high does not interrupt again without the broadcast"
    mov dword [IOAPIC_EOI], VEC_TESTDEV     ; the I/O APIC's EOI register: the high line interrupts again
    mov ebx, 2
    call wait_directed                      ; the handler lowers the line this time
    CHECK_EQ [directed_irqs], 2, 66, "the I/O APIC's EOI register re-delivers an asserted line"
    mov dword [IOAPIC_EOI], VEC_TESTDEV
    mov dword [IOAPIC_SEL], 0x10 + 2 * 14
    mov eax, [IOAPIC_WIN]
    and eax, 1 << 14
    CHECK_EQ eax, 0, 67, "the I/O APIC's EOI register clears Remote IRR"
    mov dword [IOAPIC_WIN], 1 << 16         ; masked again
    and dword [APIC_SVR], ~0x1000
    OK "directed EOI: SVR bit 12 keeps Remote IRR until the I/O APIC's EOI register"

    ; ---- (j) the performance-counter overflow interrupt (SDM 18.x, P6 counters)
pmc_part:
    mov eax, VEC_PMC
    mov ebx, pmc_handler
    call lib_set_int_gate
    mov ecx, MSR_PERFCTR0
    xor eax, eax
    xor edx, edx
    wrmsr
    mov ecx, MSR_PERFEVTSEL0
    mov eax, EVT_INST_RETIRED | EVT_USR_OS | EVT_EN
    wrmsr
    mov ecx, 200
.spin:
    loop .spin
    mov ecx, MSR_PERFCTR0
    rdmsr
    test eax, eax
    jnz .counts
    OK "the performance counters do not count (no PMU): skipped"
    ret
.counts:
    mov dword [APIC_LVT_PMC], VEC_PMC       ; fixed, unmasked
    ; without INT the wrap raises nothing
    mov ecx, MSR_PERFCTR0
    mov eax, -1000
    mov edx, -1
    wrmsr
    sti
    mov ecx, 5000
.quiet:
    loop .quiet
    cli
    CHECK_EQ [pmc_irqs], 0, 80, "a counter without INT raises nothing when it wraps"
    ; with INT
    mov ecx, MSR_PERFEVTSEL0
    xor eax, eax
    xor edx, edx
    wrmsr                                   ; stop while the counter is loaded
    mov ecx, MSR_PERFCTR0
    mov eax, -1000
    mov edx, -1
    wrmsr
    mov ecx, MSR_PERFEVTSEL0
    mov eax, EVT_INST_RETIRED | EVT_USR_OS | EVT_EN | EVT_INT
    xor edx, edx
    wrmsr
    sti
    mov ecx, WAIT_LIMIT
.wait_pmc:
    cmp dword [pmc_irqs], 0
    jne .got_pmc
    loop .wait_pmc
.got_pmc:
    mov ecx, 5000
.settle_pmc:
    loop .settle_pmc
    cli
    CHECK_EQ [pmc_irqs], 1, 81, "one interrupt when PERFCTR0 wraps with INT set"
    mov eax, [APIC_LVT_PMC]
    CHECK_EQ eax, VEC_PMC | LVT_MASKED, 82, "delivery masks the LVT PMC entry"
    mov ecx, MSR_PERFCTR0
    rdmsr
    and edx, 0xFF
    CHECK_EQ edx, 0, 83, "the counter wrapped (bits 39:32 clear)"
    cmp eax, 0x10000000
    jb .small
    FAIL 83, "the counter wrapped to a small value"
.small:
    mov ecx, MSR_PERFEVTSEL0
    xor eax, eax
    xor edx, edx
    wrmsr
    mov dword [APIC_LVT_PMC], LVT_MASKED
    OK "the performance-counter overflow interrupts through LVT PMC"
    ret

; wait_directed: sti; waits (bounded) until [directed_irqs] reaches EBX, lets a little
; time pass for an interrupt that should not come, then cli
wait_directed:
    sti
    mov esi, 1000000
.again:
    cmp [directed_irqs], ebx
    jae .settle
    pause
    dec esi
    jnz .again
.settle:
    mov ecx, 100000
.spin:
    pause
    loop .spin
    cli
    ret

directed_handler:
    push eax
    push edx
    inc dword [directed_irqs]
    cmp dword [directed_irqs], 2
    jb .eoi
    mov dx, 0x2000 + 14
    xor al, al
    out dx, al                              ; the second time: lower the line
.eoi:
    mov dword [APIC_EOI], 0                 ; retires the vector here; no broadcast
    pop edx
    pop eax
    iretd

; wait_x2: waits (bounded, IF = 1) until [x2ipis] reaches EBX, then cli
wait_x2:
    mov esi, 1000000
.again:
    cmp [x2ipis], ebx
    jae .done
    pause
    dec esi
    jnz .again
    cli
    FAIL 44, "an x2APIC IPI was not taken"
.done:
    cli
    ret

x2_handler:
    push eax
    push ecx
    push edx
    inc dword [x2ipis]
    mov ecx, 0x80B                       ; EOI
    xor eax, eax
    xor edx, edx
    wrmsr
    pop edx
    pop ecx
    pop eax
    iretd

; wait_ticks: sti; hlt until [ticks] reaches EBX (bounded)
wait_ticks:
    mov ecx, WAIT_LIMIT
    sti
.again:
    cmp [ticks], ebx
    jae .done
    hlt
    dec ecx
    jnz .again
    cli
    FAIL 2, "the APIC timer did not interrupt"
.done:
    cli
    ret

timer_handler:
    inc dword [ticks]
    mov dword [APIC_EOI], 0
    iretd

ipi_handler:
    push eax
    inc dword [ipis]
    mov eax, [APIC_ISR2]
    mov [ipi_isr], eax
    mov eax, [APIC_PPR]
    mov [ipi_ppr], eax
    mov dword [APIC_EOI], 0
    pop eax
    iretd

testdev_handler:
    push eax
    push edx
    mov dx, 0x2000 + 14
    xor al, al
    out dx, al                              ; lower the line, then EOI
    inc dword [testdev_irqs]
    mov dword [APIC_EOI], 0
    pop edx
    pop eax
    iretd

pit_handler:
    inc dword [pit_ticks]
    mov dword [APIC_EOI], 0
    iretd

nmi_handler:
    inc dword [nmis]
    cmp dword [nmis], 1
    jne .second
    inc dword [in_nmi]
    mov dword [APIC_ICR_LO], 0x40000 | 0x400   ; another NMI: blocked while this handler runs
    jmp .settle
.settle:
    nop
    cmp dword [nmis], 1
    je .not_nested
    inc dword [nmi_nested]
.not_nested:
    dec dword [in_nmi]
.second:
    iretd

pmc_handler:
    inc dword [pmc_irqs]
    mov dword [APIC_EOI], 0
    iretd

spurious_handler:
    inc dword [spurious]                    ; no EOI for the spurious vector
    iretd

section .data
ticks:     dd 0
ipis:      dd 0
x2ipis:    dd 0
testdev_irqs: dd 0
directed_irqs: dd 0
ipi_isr:   dd 0
ipi_ppr:   dd 0
pit_ticks: dd 0
spurious:  dd 0
nmis:      dd 0
in_nmi:    dd 0
nmi_nested: dd 0
pmc_irqs:  dd 0
