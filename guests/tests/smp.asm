; smp: several processors as a PC guest meets them (SDM Vol. 3, 8.4 "Multiple-Processor
; (MP) Initialization" and 8.2 "Memory Ordering"; run with 1, 2 or 4 vCPUs).
;
;   (a) the processors are counted from the ACPI MADT (enabled local APIC entries), as an
;       operating system does, and QEMU's fw_cfg (item 5, at ports 0x510/0x511) agrees; each application processor is started with INIT, SIPI, SIPI
;       (broadcast to all excluding self) at a real-mode trampoline at 0x8000, enters
;       protected mode, takes a number with LOCK XADD and checks in; every AP's APIC ID
;       register and CPUID initial APIC ID agree, and the IDs are 1 .. N-1;
;   (b) IPIs between processors: the BSP sends a fixed IPI to each AP by physical APIC ID,
;       each AP's handler counts it and answers with an IPI to the BSP;
;   (c) atomicity: every processor adds to shared counters at once, with LOCK INC, LOCK
;       XADD, LOCK CMPXCHG8B (a 64-bit counter) and a plain increment inside an XCHG
;       spinlock; no update is lost;
;   (d) message passing (8.2.3.2): an AP stores data then a flag, the BSP loads the flag
;       then the data; seeing a flag without its data is forbidden under x86's total store order;
;   (e) store buffering (8.2.3.4): two processors each store to one variable then load the
;       other; both loads seeing 0 is allowed with plain moves (reported) and forbidden
;       with a locked instruction or an MFENCE between the store and the load (checked);
;   (f) cross-modifying code (8.1.3): AP 1 calls a function over and over while the BSP
;       rewrites the function's immediate and sends AP 1 an IPI (a serialising event); after
;       it AP 1 returns the new value.
; All waits are bounded by the TSC: a processor that never answers fails the test instead
; of hanging it.

%define TEST_NAME "smp"
%include "lib.inc"

APIC          equ 0xFEE00000
APIC_ID       equ APIC + 0x20
APIC_EOI      equ APIC + 0xB0
APIC_SVR      equ APIC + 0xF0
APIC_ICR_LO   equ APIC + 0x300
APIC_ICR_HI   equ APIC + 0x310

TRAMPOLINE    equ 0x8000                ; SIPI vector 0x08
VEC_PING      equ 0x51                  ; BSP -> AP
VEC_PONG      equ 0x52                  ; AP -> BSP
VEC_WAKE      equ 0x53                  ; BSP -> halted APs: a command is posted
MAX_CPUS      equ 16
WAIT_TSC_HI   equ 3                     ; a wait gives up after 3 << 32 TSC cycles (about 13 s at 1 GHz)
ADDS          equ 100000                ; each processor's additions to each counter
MP_ROUNDS     equ 200000
SB_ROUNDS     equ 20000

; AP commands (ap_cmd), each answered by ap_done
CMD_NONE      equ 0
CMD_COUNT     equ 1
CMD_MP        equ 2
CMD_SB_PLAIN  equ 3
CMD_SB_LOCKED equ 4
CMD_XMC       equ 5
CMD_SB_MFENCE equ 6

section .text
test_main:
    ; ---- (a) count the processors in the MADT
    call count_cpus
    mov [ncpus], eax
    cmp eax, 1
    jae .counted
    FAIL 1, "no enabled processor in the MADT"
.counted:
    cmp eax, MAX_CPUS
    jbe .few
    FAIL 2, "more processors than this test handles"
.few:
    PRINT "  processors in the MADT: "
    call lib_putdec
    PRINT 10
    mov dx, 0x510                        ; fw_cfg selector: FW_CFG_NB_CPUS
    mov ax, 5
    out dx, ax
    inc dx
    in al, dx
    movzx ebx, al
    in al, dx
    shl eax, 8
    and eax, 0xFF00
    or ebx, eax
    CHECK_EQ ebx, [ncpus], 18, "fw_cfg's CPU count equals the MADT's"

    mov eax, VEC_PONG
    mov ebx, pong_handler
    call lib_set_int_gate
    mov eax, VEC_PING
    mov ebx, ping_handler
    call lib_set_int_gate
    mov eax, VEC_WAKE
    mov ebx, wake_handler
    call lib_set_int_gate
    mov dword [APIC_SVR], 0x1FF          ; APIC on, spurious vector 0xFF
    sgdt [boot_gdtr]
    sidt [boot_idtr]

    cmp dword [ncpus], 1
    jne .start_aps
    OK "one processor: nothing to start"
    jmp .counters
.start_aps:
    ; the trampoline, with the GDT the APs load, copied below 1 MiB
    mov esi, tramp_start
    mov edi, TRAMPOLINE
    mov ecx, tramp_end - tramp_start
    rep movsb
    mov ax, [boot_gdtr]
    mov [TRAMPOLINE + tramp_gdtr - tramp_start], ax
    mov eax, [boot_gdtr + 2]
    mov [TRAMPOLINE + tramp_gdtr - tramp_start + 2], eax

    ; INIT, then SIPI twice, to all excluding self (8.4.4.1)
    mov dword [APIC_ICR_HI], 0
    mov dword [APIC_ICR_LO], 0x000C4500  ; all-excluding-self, INIT, level assert
    mov ecx, 100000
.init_wait:
    pause
    loop .init_wait
    mov dword [APIC_ICR_LO], 0x000C4600 | (TRAMPOLINE >> 12)
    mov ecx, 10000
.sipi_wait:
    pause
    loop .sipi_wait
    mov dword [APIC_ICR_LO], 0x000C4600 | (TRAMPOLINE >> 12)

    mov eax, [ncpus]
    dec eax
    mov ebx, ap_checked_in
    call wait_for
    jnc .all_in
    FAIL 3, "not every application processor checked in after INIT/SIPI/SIPI"
.all_in:
    mov eax, [ap_checked_in]
    CHECK_EQ eax, [started], 4, "each AP started once (a second SIPI is ignored by a running AP)"
    ; APIC IDs 1..N-1, each reported once, each equal to CPUID's initial APIC ID
    mov ecx, 1
.ids:
    cmp ecx, [ncpus]
    jae .ids_done
    mov eax, [ap_id_seen + ecx * 4]
    CHECK_EQ eax, 1, 5, "an AP with each APIC ID 1..N-1 (register and CPUID agreeing)"
    inc ecx
    jmp .ids
.ids_done:
    OK "INIT/SIPI/SIPI started every AP; APIC IDs 1..N-1"

    ; ---- (b) IPIs both ways, one AP at a time (two IPIs with one vector pending at once
    ; are one interrupt on hardware too)
    sti
    mov ecx, 1
.ping:
    cmp ecx, [ncpus]
    jae .pinged
    mov eax, ecx
    shl eax, 24
    mov [APIC_ICR_HI], eax
    mov dword [APIC_ICR_LO], 0x00004000 | VEC_PING   ; fixed, physical, assert
    mov eax, ecx
    mov ebx, pongs
    call wait_for
    jnc .ponged
    FAIL 6, "an AP did not answer the BSP's IPI"
.ponged:
    inc ecx
    jmp .ping
.pinged:
    mov eax, [pings]
    mov ebx, [ncpus]
    dec ebx
    CHECK_EQ eax, ebx, 7, "each AP took exactly one IPI"
    OK "IPIs from the BSP to every AP and back"

.counters:
    ; ---- (c) atomic updates from every processor at once
    mov eax, CMD_COUNT
    call run_everywhere
    mov eax, [ncpus]
    imul eax, ADDS
    mov [expect], eax
    CHECK_EQ [cnt_inc], [expect], 8, "LOCK INC lost no update"
    CHECK_EQ [cnt_xadd], [expect], 9, "LOCK XADD lost no update"
    CHECK_EQ [cnt_spin], [expect], 10, "a plain increment under an XCHG spinlock lost no update"
    CHECK_EQ [cnt_64], [expect], 11, "LOCK CMPXCHG8B lost no update"
    CHECK_EQ [cnt_64 + 4], 0, 11, "LOCK CMPXCHG8B: high half"
    OK "counters updated by every processor at once"

    cmp dword [ncpus], 1
    je .done

    ; ---- (d) message passing: AP 1 writes data then flag, the BSP reads flag then data
    mov dword [mp_data], 0
    mov dword [mp_flag], 0
    mov eax, CMD_MP
    mov dword [ap_cmd_for], 1
    call start_one
    xor esi, esi                         ; violations
    mov edi, bsp_deadline
    call set_deadline
.mp_loop:
    mov eax, [mp_flag]
    mov ebx, [mp_data]
    cmp ebx, eax
    jae .mp_ok
    inc esi
.mp_ok:
    cmp eax, MP_ROUNDS
    je .mp_end
    call past_deadline
    jnc .mp_loop
    FAIL 12, "message passing: the writer did not finish"
.mp_end:
    call finish_one
    CHECK_EQ esi, 0, 13, "message passing: a flag was seen before its data"
    OK "message passing: stores seen in order"

    ; ---- (e) store buffering, plain and with a locked instruction
    mov eax, CMD_SB_PLAIN
    call store_buffering
    mov [sb_plain_both0], eax
    PRINT "  store buffering with plain moves: both loads 0 in "
    call lib_putdec
    PRINT " of 20000 rounds (allowed by x86)", 10
    mov eax, CMD_SB_LOCKED
    call store_buffering
    CHECK_EQ eax, 0, 14, "store buffering with LOCK OR between store and load: both loads saw 0"
    mov eax, CMD_SB_MFENCE
    call store_buffering
    CHECK_EQ eax, 0, 21, "store buffering with MFENCE between store and load: both loads saw 0"
    OK "store buffering: a locked instruction or MFENCE orders the store before the load"

    ; ---- (f) cross-modifying code
    mov dword [xmc_seen], 0
    mov dword [xmc_stop], 0
    mov dword [ap_cmd_for], 1
    mov eax, CMD_XMC
    call start_one
    mov eax, 1
    mov ebx, xmc_seen
    call wait_for                        ; AP 1 runs the old code (hot: translated by now)
    jnc .old_seen
    FAIL 19, "cross-modifying code: AP 1 did not run the function"
.old_seen:
    mov dword [patch_target + 1], 2      ; mov eax, 1 -> mov eax, 2
    mov dword [APIC_ICR_HI], 1 << 24
    mov dword [APIC_ICR_LO], 0x00004000 | VEC_WAKE
    mov eax, 2
    mov ebx, xmc_seen
    call wait_for
    jnc .new_seen
    FAIL 20, "cross-modifying code: AP 1 kept running the old instruction after an IPI"
.new_seen:
    mov dword [xmc_stop], 1
    call finish_one
    OK "cross-modifying code: the new instruction runs on the other vCPU"
.done:
    ret

; the function the BSP rewrites (B8 imm32: mov eax, imm32)
patch_target:
    mov eax, strict dword 1
    ret

xmc_part:
.loop:
    call patch_target
    mov [xmc_seen], eax
    cmp dword [xmc_stop], 0
    je .loop
    ret

; store_buffering: EAX = CMD_SB_PLAIN or CMD_SB_LOCKED; runs SB_ROUNDS rounds with AP 1;
; returns in EAX how many rounds saw both loads 0
store_buffering:
    push ebx
    push ecx
    push edx
    push esi
    push edi
    mov esi, eax
    mov dword [sb_both0], 0
    mov dword [sb_round], 0
    mov dword [sb_ap_round], 0
    mov dword [ap_cmd_for], 1
    call start_one
    mov edx, 1                           ; round
.round:
    mov dword [sb_x], 0
    mov dword [sb_y], 0
    mov dword [sb_r_ap], -1
    mov [sb_round], edx                  ; go
    mov dword [sb_x], 1
    cmp esi, CMD_SB_LOCKED
    jne .no_lock
    lock or dword [esp], 0
.no_lock:
    cmp esi, CMD_SB_MFENCE
    jne .plain
    mfence
.plain:
    mov ebx, [sb_y]
    mov edi, bsp_deadline
    call set_deadline
.wait_ap:
    cmp [sb_ap_round], edx
    je .ap_done
    pause
    call past_deadline
    jnc .wait_ap
    FAIL 15, "store buffering: AP 1 stopped answering"
.ap_done:
    or ebx, [sb_r_ap]
    jnz .next
    inc dword [sb_both0]
.next:
    inc edx
    cmp edx, SB_ROUNDS
    jbe .round
    mov dword [sb_round], -1             ; stop
    call finish_one
    mov eax, [sb_both0]
    pop edi
    pop esi
    pop edx
    pop ecx
    pop ebx
    ret

; run_everywhere: EAX = command; every AP and the BSP run it; returns when all are done
run_everywhere:
    push eax
    mov dword [ap_cmd_for], 0            ; every AP
    call post
    mov eax, [esp]
    mov eax, [esp]
    call do_command
    mov eax, [ncpus]
    dec eax
    mov ebx, ap_done
    call wait_for
    jnc .ok
    FAIL 16, "an AP did not finish its part"
.ok:
    pop eax
    ret

; start_one: EAX = command for the AP named by ap_cmd_for
start_one:
    jmp post

; post: command EAX for the APs ap_cmd_for names: a new sequence number, published last
; (stores are seen in order), then a wake-up for the halted APs
post:
    mov dword [ap_done], 0
    mov [ap_cmd], eax
    inc dword [ap_seq]

; wake_aps: a fixed IPI to all excluding self, so that halted APs look at ap_cmd
wake_aps:
    cmp dword [ncpus], 1
    je .none
    mov dword [APIC_ICR_HI], 0
    mov dword [APIC_ICR_LO], 0x000C4000 | VEC_WAKE
.none:
    ret

; finish_one: waits for the single AP running a command
finish_one:
    mov eax, 1
    mov ebx, ap_done
    call wait_for
    jnc .ok
    FAIL 17, "AP 1 did not finish its part"
.ok:
    ret

; wait_for: waits until dword [EBX] >= EAX; CF set on timeout
wait_for:
    push edi
    mov edi, bsp_deadline
    call set_deadline
.loop:
    cmp [ebx], eax
    jae .ok
    pause
    call past_deadline
    jnc .loop
    pop edi
    stc
    ret
.ok:
    pop edi
    clc
    ret

; set_deadline: the qword at EDI = TSC + the wait limit
set_deadline:
    push eax
    push edx
    rdtsc
    add edx, WAIT_TSC_HI
    mov [edi], eax
    mov [edi + 4], edx
    pop edx
    pop eax
    ret

; past_deadline: CF set when the TSC has passed the qword at EDI (keeps all registers)
past_deadline:
    push eax
    push edx
    rdtsc
    cmp edx, [edi + 4]
    ja .past
    jb .not
    cmp eax, [edi]
    jae .past
.not:
    pop edx
    pop eax
    clc
    ret
.past:
    pop edx
    pop eax
    stc
    ret

; do_command: runs command EAX on this processor (BSP or AP)
do_command:
    cmp eax, CMD_COUNT
    je count_part
    cmp eax, CMD_MP
    je mp_writer
    cmp eax, CMD_SB_PLAIN
    je sb_part
    cmp eax, CMD_SB_LOCKED
    je sb_part
    cmp eax, CMD_SB_MFENCE
    je sb_part
    cmp eax, CMD_XMC
    je xmc_part
    ret

count_part:
    mov ecx, ADDS
.add:
    lock inc dword [cnt_inc]
    mov eax, 1
    lock xadd [cnt_xadd], eax
    ; spinlock: XCHG is locked without the prefix
.acquire:
    mov eax, 1
    xchg [spin], eax
    test eax, eax
    jz .held
    pause
    jmp .acquire
.held:
    mov eax, [cnt_spin]
    inc eax
    mov [cnt_spin], eax
    mov dword [spin], 0                  ; release: a plain store
    ; 64-bit counter with CMPXCHG8B
    mov eax, [cnt_64]
    mov edx, [cnt_64 + 4]
.cas:
    mov ebx, eax
    mov edi, edx
    add ebx, 1
    adc edi, 0
    push ecx
    mov ecx, edi
    lock cmpxchg8b [cnt_64]
    pop ecx
    jnz .cas
    dec ecx
    jnz .add
    ret

mp_writer:
    mov eax, 1
.w:
    mov [mp_data], eax
    mov [mp_flag], eax
    inc eax
    cmp eax, MP_ROUNDS
    jbe .w
    ret

sb_part:
    mov esi, eax
    mov edx, 1
.round:
    mov edi, ap_deadline
    call set_deadline
.go:
    mov eax, [sb_round]
    cmp eax, -1
    je .out
    cmp eax, edx
    je .run
    pause
    call past_deadline
    jnc .go
    ret                                  ; the BSP reports the timeout
.run:
    mov dword [sb_y], 1
    cmp esi, CMD_SB_LOCKED
    jne .no_lock
    lock or dword [esp], 0
.no_lock:
    cmp esi, CMD_SB_MFENCE
    jne .plain
    mfence
.plain:
    mov eax, [sb_x]
    mov [sb_r_ap], eax
    mov [sb_ap_round], edx
    inc edx
    jmp .round
.out:
    ret

; count_cpus: EAX = enabled processor local APIC entries of the MADT (0 if none is found)
count_cpus:
    push ebx
    push ecx
    push edx
    push esi
    mov esi, 0xE0000
.scan:
    cmp dword [esi], "RSD "
    jne .next
    cmp dword [esi + 4], "PTR "
    je .found
.next:
    add esi, 16
    cmp esi, 0x100000
    jb .scan
    xor eax, eax
    jmp .out
.found:
    mov ebx, [esi + 16]                  ; RSDT
    mov ecx, [ebx + 4]
    add ecx, ebx                         ; end of the RSDT
    lea esi, [ebx + 36]
    xor eax, eax
.tables:
    cmp esi, ecx
    jae .out
    mov edx, [esi]
    add esi, 4
    cmp dword [edx], "APIC"
    jne .tables
    mov ecx, [edx + 4]
    add ecx, edx                         ; end of the MADT
    lea esi, [edx + 44]
.entries:
    cmp esi, ecx
    jae .out
    cmp byte [esi], 0                    ; processor local APIC
    jne .skip
    test byte [esi + 4], 1               ; enabled
    jz .skip
    inc eax
.skip:
    movzx edx, byte [esi + 1]
    add esi, edx
    test edx, edx
    jnz .entries
.out:
    pop esi
    pop edx
    pop ecx
    pop ebx
    ret

ping_handler:                            ; on an AP
    push eax
    lock inc dword [pings]
    mov dword [APIC_ICR_HI], 0           ; to the BSP (APIC ID 0)
    mov dword [APIC_ICR_LO], 0x00004000 | VEC_PONG
    mov dword [APIC_EOI], 0
    pop eax
    iretd

wake_handler:                            ; on an AP: only ends its hlt
    mov dword [APIC_EOI], 0
    iretd

pong_handler:                            ; on the BSP
    lock inc dword [pongs]
    mov dword [APIC_EOI], 0
    iretd

; ---- the application processors

; real-mode trampoline, copied to TRAMPOLINE (addresses inside it are relative to it)
bits 16
tramp_start:
    cli
    xor ax, ax
    mov ds, ax
    o32 lgdt [TRAMPOLINE + tramp_gdtr - tramp_start]
    mov eax, cr0
    or eax, CR0_PE
    mov cr0, eax
    jmp dword SEL_CODE0:ap_entry32
tramp_gdtr:
    dw 0
    dd 0
tramp_end:
bits 32

ap_entry32:
    mov ax, SEL_DATA0
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    lock inc dword [started]
    mov eax, 1
    lock xadd [ap_next], eax             ; this AP's number, 0..N-2
    inc eax
    shl eax, 12
    lea esp, [ap_stacks + eax]
    lidt [boot_idtr]
    mov dword [APIC_SVR], 0x1FF
    ; APIC ID from the register and from CPUID must agree
    mov ebx, [APIC_ID]
    shr ebx, 24
    push ebx
    mov eax, 1
    cpuid
    shr ebx, 24
    pop eax
    cmp eax, ebx
    jne .checked                         ; disagreeing IDs are not counted: the BSP reports them
    cmp eax, MAX_CPUS
    jae .checked
    lock inc dword [ap_id_seen + eax * 4]
.checked:
    mov [my_id_tmp], eax
    lock inc dword [ap_checked_in]
    xor ebp, ebp
    sti
ap_loop:                                 ; EBP: the last command sequence number seen
    mov eax, [ap_seq]
    cmp eax, ebp
    je .idle
    mov ebp, eax
    mov eax, [ap_cmd]
    mov ebx, [ap_cmd_for]
    test ebx, ebx
    jz .mine
    push eax
    mov eax, [APIC_ID]
    shr eax, 24
    cmp eax, ebx
    pop eax
    jne ap_loop
.mine:
    call do_command
    lock inc dword [ap_done]
    jmp ap_loop
.idle:
    ; sleep until the BSP's wake IPI; STI's one-instruction shadow makes "sti; hlt" atomic,
    ; so a wake-up sent after the check below cannot be taken before the hlt and lost
    cli
    cmp [ap_seq], ebp
    jne .awake
    sti
    hlt
    jmp ap_loop
.awake:
    sti
    jmp ap_loop

section .data
align 4
ncpus:          dd 0
expect:         dd 0
started:        dd 0
ap_next:        dd 0
ap_checked_in:  dd 0
ap_id_seen:     times MAX_CPUS dd 0
my_id_tmp:      dd 0
pings:          dd 0
pongs:          dd 0
ap_cmd:         dd 0
ap_seq:         dd 0
ap_cmd_for:     dd 0
ap_done:        dd 0
align 64
cnt_inc:        dd 0
align 64
cnt_xadd:       dd 0
align 64
spin:           dd 0
cnt_spin:       dd 0
align 64
cnt_64:         dq 0
align 64
mp_data:        dd 0
align 64
mp_flag:        dd 0
align 64
sb_x:           dd 0
align 64
sb_y:           dd 0
align 64
sb_r_ap:        dd 0
sb_round:       dd 0
sb_ap_round:    dd 0
sb_both0:       dd 0
sb_plain_both0: dd 0
xmc_seen:       dd 0
xmc_stop:       dd 0
bsp_deadline:   dq 0
ap_deadline:    dq 0
boot_gdtr:      dw 0
                dd 0
boot_idtr:      dw 0
                dd 0

section .bss
alignb 4096
ap_stacks:      resb 4096 * MAX_CPUS
