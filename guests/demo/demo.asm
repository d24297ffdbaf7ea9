; demo.asm - the guest that `jvisor demo` boots (assembled by guests/demo/build.sh into
; src/main/resources/guests/demo.elf).
;
; A small guest kernel (ring 0, paging on) and its user process (ring 3, IOPL 0) walk
; through the challenges a software VMM on x86 has to meet, and print what they observe on
; the debug console (port 0xe9), one heading per step:
;   1 ring compression          user code faults on privileged instructions and kernel pages
;   2 ring aliasing             push cs, mov ax,cs, sgdt, sidt, str, smsw, pushf read back
;                               exactly what the guest set up, in ring 0 and in ring 3
;   3 address-space compression the guest uses the top 4 MiB of linear space, IDT included
;   4 guest page faults         demand paging by the guest's own #PF handler
;   5 system calls              int 0x80 and sysenter/sysexit round trips
;   6 frequent privileged ops   a cli/sti and pushf/popf loop in the kernel
;   7 virtual interrupts        PIT timer interrupts through the PIC while the user process
;                               runs; cli holds a pending IRQ, sti delivers it after its shadow
;   8 self-modifying code       an instruction's immediate patched and run again
; Every step checks what it prints; the first wrong value prints "FAIL: demo: <what>" with
; the expected and actual values and exits through isa-debug-exit with the step's number.
; When all steps pass the demo prints "demo: all steps ok" and writes 0 to port 0xf4.
;
; Runtime (GDT, IDT with recording exception stubs, TSS, ring 3 entry, paging helpers,
; CHECK_EQ/EXPECT_FAULT, console output): guests/tests/lib.inc.

%define TEST_NAME "demo"
%define NO_START_LINE               ; the demo prints its own banner
%include "lib.inc"

USER_DONE    equ 0x600D                 ; EAX a user process returns with when it finished

DEMAND       equ 0x40000000             ; step 4: user region that starts unmapped
DEMAND_PAGES equ 32

TOP_LOW      equ 0xFFC00000             ; step 3: first page of the top 4 MiB
TOP_IDT      equ 0xFFFFE000             ;         where the IDT moves
TOP_LAST     equ 0xFFFFF000             ;         last page of linear space

SYSCALLS     equ 1000                   ; step 5: calls per entry path
SYS_ADD      equ 1
ENOSYS       equ -38
MSR_SYSENTER_CS  equ 0x174
MSR_SYSENTER_ESP equ 0x175
MSR_SYSENTER_EIP equ 0x176

IF_ROUNDS    equ 10000                  ; step 6
TIMER_VEC    equ 0x20                   ; step 7: master PIC base (slave 0x28)
PIT_DIVISOR  equ 597                    ;         1193182 / 597 = about 2 kHz
USER_TICKS   equ 10                     ;         ticks the user process waits for
SPIN_LIMIT   equ 20000000               ;         rounds before it gives up
WAIT_LIMIT   equ 10000000               ;         port reads before the kernel gives up
HELD_PERIODS equ 4                      ;         PIT periods cli holds IRQ 0
HLT_ROUNDS   equ 3
USER7_ESI    equ 0x5A5A1234             ;         registers the user keeps constant
USER7_EDI    equ 0x0F1E2D3C
USER7_EBP    equ 0x13579BDF
TF_EIP       equ 16                     ; the timer handler's stack after its 4 pushes
TF_CS        equ 20
TF_EFLAGS    equ 24
TF_ESP       equ 28                     ; only from ring 3
TF_SS        equ 32
SMC_ROUNDS   equ 100                    ; step 8

; step 2 probe record: one dword per field
R_CS_PUSH   equ 0
R_CS_MOV    equ 4
R_GDT_BASE  equ 8
R_GDT_LIMIT equ 12
R_IDT_BASE  equ 16
R_IDT_LIMIT equ 20
R_TR        equ 24
R_MSW       equ 28
R_EFLAGS    equ 32
R_FIELDS    equ 9
EFL_SHOWN   equ EFL_IOPL | EFL_IF | 0x2 ; the EFLAGS bits the probe keeps

section .text
test_main:
    push dword 0x2                          ; the kernel's EFLAGS: IF = 0, IOPL = 0
    popfd
    PRINT "jvisor demo: a guest kernel (ring 0, paging on) and its user process (ring 3)", 10
    PRINT "meet the challenges of a software VMM; every value below is checked", 10
    call setup_kernel
    call step1_ring_compression
    call step2_ring_aliasing
    call step3_address_space
    call step4_demand_paging
    call step5_syscalls
    call step6_privileged_ops
    call step7_interrupts
    call step8_self_modifying_code
    PRINT "demo: all steps ok", 10
    xor eax, eax
    jmp lib_exit                            ; isa-debug-exit 0: VM exit status 1

; -------------------------------------------------------------------------------------
; The kernel's address space: linear 0-16 MiB identity mapped, user accessible except the
; page holding the kernel's secret; 0x40000000 (4 MiB) left to demand paging; the top
; 4 MiB with three kernel pages. Plus the TSS for ring 3.

setup_kernel:
    call lib_setup_tss
    mov eax, PG_P | PG_RW | PG_US
    call lib_identity_paging
    mov dword [secret_page], 0x5EC2E7
    mov eax, secret_page
    shr eax, 12
    and dword [lib_pts + eax * 4], ~PG_US
    mov eax, demand_pt
    or eax, PG_P | PG_RW | PG_US
    mov [lib_pd + (DEMAND >> 22) * 4], eax
    mov eax, top_pt
    or eax, PG_P | PG_RW
    mov [lib_pd + (TOP_LOW >> 22) * 4], eax
    mov eax, top_frame_low
    or eax, PG_P | PG_RW
    mov [top_pt + ((TOP_LOW >> 12) & 1023) * 4], eax
    mov eax, top_frame_idt
    or eax, PG_P | PG_RW
    mov [top_pt + ((TOP_IDT >> 12) & 1023) * 4], eax
    mov eax, top_frame_last
    or eax, PG_P | PG_RW
    mov [top_pt + ((TOP_LAST >> 12) & 1023) * 4], eax
    call lib_enable_paging
    ret

; runs the user process at EAX in ring 3 (IOPL 0, IF = 1); fails with code EDX unless it
; returns USER_DONE
run_user:
    mov ebx, user_stack_top
    mov ecx, EFL_IF | 0x2
    call lib_enter_ring3
    CHECK_EQ eax, USER_DONE, edx, "the user process did not finish"
    ret

; -------------------------------------------------------------------------------------
; Step 1: ring compression

step1_ring_compression:
    PRINT 10, "[1] Ring compression: the kernel runs in ring 0, its user process in ring 3 (IOPL 0)", 10
    mov dword [exc_hook], gp_hook
    mov eax, user_step1
    mov edx, 1
    call run_user
    mov dword [exc_hook], 0
    CHECK_EQ [gp_caught], 5, 1, "#GP faults from ring 3 counted by the kernel's handler"
    PRINT "    user cli, hlt, mov cr3, lidt, out 0xe9: "
    mov eax, [gp_caught]
    call lib_putdec
    PRINT " x #GP(0), each caught by the kernel's #GP handler ok", 10
    PRINT "    user read of supervisor page "
    mov eax, [pf_cr2]
    call lib_puthex
    PRINT ": #PF error "
    mov eax, [pf_error]
    call put_hex16
    PRINT " (U=1), secret not read ok", 10
    ret

; exc_hook while step 1 runs: counts #GP(0) raised in ring 3; EXPECT_FAULT's exc_resume then
; moves the user past the instruction
gp_hook:
    cmp dword [ebx + FRAME_VECTOR], 13
    jne .done
    cmp dword [ebx + FRAME_ERROR], 0
    jne .done
    test dword [ebx + FRAME_CS], 3
    jz .done
    inc dword [gp_caught]
.done:
    xor eax, eax                            ; not handled here: resume through exc_resume
    ret

user_step1:
    EXPECT_FAULT 13, 0, 1, cli
    EXPECT_FAULT 13, 0, 1, hlt
    mov eax, lib_pd
    EXPECT_FAULT 13, 0, 1, mov cr3, eax
    EXPECT_FAULT 13, 0, 1, lidt [probe_buf]
    mov al, '!'
    EXPECT_FAULT 13, 0, 1, out PORT_DEBUGCON, al
    xor eax, eax
    EXPECT_FAULT 14, 5, 1, mov eax, [secret_page]
    CHECK_EQ eax, 0, 1, "user EAX after the faulting read of the kernel's secret"
    CHECK_EQ [exc_cr2], secret_page, 1, "CR2 after the user read of the supervisor page"
    mov eax, [exc_error]
    mov [pf_error], eax
    mov eax, [exc_cr2]
    mov [pf_cr2], eax
    mov eax, USER_DONE
    RETURN_TO_RING0

; -------------------------------------------------------------------------------------
; Step 2: ring aliasing

step2_ring_aliasing:
    PRINT "[2] Ring aliasing: push cs, mov ax,cs, sgdt, sidt, str, smsw, pushf read back what the guest set", 10
    ; what the kernel set up
    mov edi, expect_kernel
    call fill_expected
    mov dword [expect_kernel + R_CS_PUSH], SEL_CODE0
    mov dword [expect_kernel + R_CS_MOV], SEL_CODE0
    mov dword [expect_kernel + R_EFLAGS], 0x2
    mov edi, expect_user
    call fill_expected
    mov dword [expect_user + R_CS_PUSH], SEL_CODE3
    mov dword [expect_user + R_CS_MOV], SEL_CODE3
    mov dword [expect_user + R_EFLAGS], EFL_IF | 0x2
    ; both rings look
    mov ebx, seen_kernel
    call probe
    mov eax, user_step2
    mov edx, 2
    call run_user

    mov esi, seen_kernel
    mov edi, expect_kernel
    call compare_record
    PRINT "    ring 0: "
    call print_record
    PRINT " ok", 10
    mov esi, seen_user
    mov edi, expect_user
    call compare_record
    PRINT "    ring 3: "
    call print_record
    PRINT " ok", 10
    ret

user_step2:
    mov ebx, seen_user
    call probe
    mov eax, USER_DONE
    RETURN_TO_RING0

; fill_expected: EDI = record; the fields both rings must see alike
fill_expected:
    push eax
    mov dword [edi + R_GDT_BASE], lib_gdt
    mov dword [edi + R_GDT_LIMIT], GDT_ENTRIES * 8 - 1
    mov dword [edi + R_IDT_BASE], lib_idt
    mov dword [edi + R_IDT_LIMIT], 256 * 8 - 1
    mov dword [edi + R_TR], SEL_TSS0
    mov eax, cr0
    and eax, 0xFFFF
    mov [edi + R_MSW], eax
    pop eax
    ret

; probe: EBX = record to fill; runs in ring 0 and in ring 3
probe:
    push cs
    pop eax
    movzx eax, ax                           ; a 32-bit push of CS may write only 16 bits
    mov [ebx + R_CS_PUSH], eax
    xor eax, eax
    mov ax, cs
    mov [ebx + R_CS_MOV], eax
    sgdt [probe_buf]
    movzx eax, word [probe_buf]
    mov [ebx + R_GDT_LIMIT], eax
    mov eax, [probe_buf + 2]
    mov [ebx + R_GDT_BASE], eax
    sidt [probe_buf]
    movzx eax, word [probe_buf]
    mov [ebx + R_IDT_LIMIT], eax
    mov eax, [probe_buf + 2]
    mov [ebx + R_IDT_BASE], eax
    xor eax, eax
    str ax
    mov [ebx + R_TR], eax
    smsw eax
    and eax, 0xFFFF
    mov [ebx + R_MSW], eax
    pushfd
    pop eax
    and eax, EFL_SHOWN
    mov [ebx + R_EFLAGS], eax
    ret

; compare_record: ESI = seen, EDI = expected; fails (code 2) at the first differing field
compare_record:
    push ecx
    push edx
    xor ecx, ecx
.next:
    mov edx, [esi + ecx * 4]
    cmp edx, [edi + ecx * 4]
    jne .differs
    inc ecx
    cmp ecx, R_FIELDS
    jb .next
    pop edx
    pop ecx
    ret
.differs:
    mov [lib_actual], edx
    mov edx, [edi + ecx * 4]
    mov [lib_expected], edx
    mov byte [lib_have_values], 1
    mov esi, [field_names + ecx * 4]
    mov eax, 2
    jmp lib_fail

; print_record: ESI = record
print_record:
    push eax
    PRINT "cs="
    mov eax, [esi + R_CS_PUSH]
    call put_hex16
    PRINT " gdt="
    mov eax, [esi + R_GDT_BASE]
    call lib_puthex
    PRINT "/"
    mov eax, [esi + R_GDT_LIMIT]
    call put_hex16
    PRINT " idt="
    mov eax, [esi + R_IDT_BASE]
    call lib_puthex
    PRINT "/"
    mov eax, [esi + R_IDT_LIMIT]
    call put_hex16
    PRINT " tr="
    mov eax, [esi + R_TR]
    call put_hex16
    PRINT " msw="
    mov eax, [esi + R_MSW]
    call put_hex16
    PRINT " iopl="
    mov eax, [esi + R_EFLAGS]
    shr eax, 12
    and eax, 3
    call lib_putdec
    PRINT " if="
    mov eax, [esi + R_EFLAGS]
    shr eax, 9
    and eax, 1
    call lib_putdec
    pop eax
    ret

; -------------------------------------------------------------------------------------
; Step 3: address-space compression

step3_address_space:
    PRINT "[3] Address-space compression: the guest itself uses the top 4 MiB of linear space", 10
    mov dword [TOP_LOW], 0xC0DE0000
    mov dword [TOP_LAST + 0xFFC], 0xC0DEFFFC
    mov eax, [TOP_LOW]
    CHECK_EQ eax, 0xC0DE0000, 3, "read back at 0xffc00000"
    mov eax, [TOP_LAST + 0xFFC]
    CHECK_EQ eax, 0xC0DEFFFC, 3, "read back at 0xfffffffc"
    CHECK_EQ [top_frame_low], 0xC0DE0000, 3, "frame mapped at 0xffc00000 (read through the identity map)"
    CHECK_EQ [top_frame_last + 0xFFC], 0xC0DEFFFC, 3, "frame mapped at 0xfffff000 (read through the identity map)"
    PRINT "    0xffc00000 and 0xfffffffc written, read back, found in frames "
    mov eax, top_frame_low
    call lib_puthex
    PRINT ", "
    mov eax, top_frame_last
    call lib_puthex
    PRINT " ok", 10

    ; a copy of the IDT at TOP_IDT whose breakpoint gate leads to top_bp_handler
    mov esi, lib_idt
    mov edi, TOP_IDT
    mov ecx, 256 * 2
    rep movsd
    mov eax, top_bp_handler
    mov [TOP_IDT + 3 * 8], ax
    shr eax, 16
    mov [TOP_IDT + 3 * 8 + 6], ax
    lidt [top_idtr]
    sidt [probe_buf]
    mov eax, [probe_buf + 2]
    mov [top_sidt], eax
    int3
.after_int3:
    lidt [lib_idt_desc]
    CHECK_EQ [top_sidt], TOP_IDT, 3, "sidt base after lidt of the IDT at the top"
    CHECK_EQ [bp_hits], 1, 3, "int3 through the IDT at 0xffffe000: handler runs"
    CHECK_EQ [bp_eip], .after_int3, 3, "int3 through the IDT at 0xffffe000: saved EIP"
    PRINT "    IDT copied to "
    mov eax, [top_sidt]
    call lib_puthex
    PRINT " and loaded (sidt agrees), int3 delivered through it ok", 10
    ret

top_bp_handler:
    push eax
    mov eax, [esp + 4]                      ; saved EIP
    mov [bp_eip], eax
    inc dword [bp_hits]
    pop eax
    iretd

; -------------------------------------------------------------------------------------
; Step 4: guest page faults (demand paging)

step4_demand_paging:
    PRINT "[4] Guest page faults: the user process touches unmapped pages, the kernel maps them", 10
    mov dword [pool_next], pool
    mov dword [exc_hook], demand_hook
    mov eax, user_step4
    mov edx, 4
    call run_user
    mov dword [exc_hook], 0
    CHECK_EQ [pf_after_first_pass], DEMAND_PAGES, 4, "#PF handled during the first pass (one per page)"
    CHECK_EQ [pf_handled], DEMAND_PAGES, 4, "#PF handled in all (none in the second pass)"
    CHECK_EQ [pf_other_errors], 0, 4, "#PF error codes other than 6 (user write, not present)"
    mov eax, [pool_next]
    sub eax, pool
    shr eax, 12
    CHECK_EQ eax, DEMAND_PAGES, 4, "fresh frames taken from the pool"
    CHECK_EQ [user_sum], DEMAND_PAGES * (DEMAND_PAGES + 1) / 2, 4, "sum the user read back"
    PRINT "    user wrote to "
    mov eax, DEMAND_PAGES
    call lib_putdec
    PRINT " unmapped pages at "
    mov eax, DEMAND
    call lib_puthex
    PRINT ": "
    mov eax, [pf_handled]
    call lib_putdec
    PRINT " x #PF (error 0x0006) mapped and restarted ok", 10
    PRINT "    second pass over the pages: no fault, values read back sum to "
    mov eax, [user_sum]
    call lib_putdec
    PRINT " ok", 10
    ret

; exc_hook while step 4 runs: a not-present fault inside the demand region gets a zeroed
; frame from the pool, mapped user read/write; returning 1 restarts the instruction
demand_hook:
    cmp dword [ebx + FRAME_VECTOR], 14
    jne .not_ours
    mov eax, cr2
    sub eax, DEMAND
    cmp eax, DEMAND_PAGES * 4096
    jae .not_ours
    shr eax, 12
    test dword [demand_pt + eax * 4], PG_P
    jnz .not_ours                           ; present: a real protection fault
    mov edx, [pool_next]
    cmp edx, pool_end
    jae .not_ours
    add dword [pool_next], 4096
    push eax
    mov edi, edx
    mov ecx, 1024
    xor eax, eax
    rep stosd
    pop eax
    or edx, PG_P | PG_RW | PG_US
    mov [demand_pt + eax * 4], edx
    inc dword [pf_handled]
    cmp dword [ebx + FRAME_ERROR], 6        ; U = 1, W = 1, P = 0
    je .counted
    inc dword [pf_other_errors]
.counted:
    mov eax, 1
    ret
.not_ours:
    xor eax, eax
    ret

user_step4:
    xor ecx, ecx                            ; first pass: page i gets i + 1 at offset i * 4
.write:
    mov eax, ecx
    shl eax, 12
    lea edx, [ecx + 1]
    mov [DEMAND + eax + ecx * 4], edx
    inc ecx
    cmp ecx, DEMAND_PAGES
    jb .write
    mov eax, [pf_handled]
    mov [pf_after_first_pass], eax
    xor ecx, ecx                            ; second pass: read them back
    xor edx, edx
.read:
    mov eax, ecx
    shl eax, 12
    add edx, [DEMAND + eax + ecx * 4]
    inc ecx
    cmp ecx, DEMAND_PAGES
    jb .read
    mov [user_sum], edx
    mov eax, USER_DONE
    RETURN_TO_RING0

; -------------------------------------------------------------------------------------
; Step 5: system calls

step5_syscalls:
    PRINT "[5] System calls: the user process calls the kernel through int 0x80 and sysenter", 10
    mov eax, 1 << 11                        ; CPUID.1:EDX.SEP
    call lib_require_cpuid_edx
    mov eax, 0x80
    mov ebx, int80_entry
    mov ecx, SEL_CODE0
    mov dl, GATE_INT3
    call lib_set_gate
    xor edx, edx
    mov ecx, MSR_SYSENTER_CS
    mov eax, SEL_CODE0
    wrmsr
    mov ecx, MSR_SYSENTER_ESP
    mov eax, sysenter_stack_top
    wrmsr
    mov ecx, MSR_SYSENTER_EIP
    mov eax, sysenter_entry
    wrmsr
    mov eax, user_step5
    mov edx, 5
    call run_user
    CHECK_EQ [int80_calls], SYSCALLS + 1, 5, "int 0x80 calls counted by the kernel"
    CHECK_EQ [sysenter_calls], SYSCALLS + 1, 5, "sysenter calls counted by the kernel"
    CHECK_EQ [sum_int80], SYSCALLS * (SYSCALLS + 1) / 2, 5, "sum computed through int 0x80"
    CHECK_EQ [sum_sysenter], SYSCALLS * (SYSCALLS + 1) / 2, 5, "sum computed through sysenter"
    CHECK_EQ [enosys_int80], ENOSYS, 5, "unknown call number through int 0x80"
    CHECK_EQ [enosys_sysenter], ENOSYS, 5, "unknown call number through sysenter"
    PRINT "    "
    mov eax, SYSCALLS
    call lib_putdec
    PRINT " x int 0x80 add(sum, i): sum of 1.."
    mov eax, SYSCALLS
    call lib_putdec
    PRINT " = "
    mov eax, [sum_int80]
    call lib_putdec
    PRINT " ok", 10
    PRINT "    "
    mov eax, SYSCALLS
    call lib_putdec
    PRINT " x sysenter/sysexit add(sum, i): sum of 1.."
    mov eax, SYSCALLS
    call lib_putdec
    PRINT " = "
    mov eax, [sum_sysenter]
    call lib_putdec
    PRINT " ok", 10
    ret

; int 0x80: EAX = number, EBX, ECX = arguments -> EAX
int80_entry:
    push ds
    push eax
    mov ax, SEL_DATA0
    mov ds, ax
    pop eax
    inc dword [int80_calls]
    call sys_dispatch
    pop ds
    iretd

; sysenter: EAX = number, EBX, ESI = arguments, ECX = user ESP, EDX = user EIP -> EAX
sysenter_entry:
    push ecx
    push edx
    push ds
    push eax
    mov ax, SEL_DATA0
    mov ds, ax
    pop eax
    inc dword [sysenter_calls]
    mov ecx, esi
    call sys_dispatch
    pop ds
    pop edx
    pop ecx
    sti                                     ; sysenter cleared IF; the user runs with IF = 1
    sysexit

; sys_dispatch: EAX = number, EBX, ECX = arguments -> EAX
sys_dispatch:
    cmp eax, SYS_ADD
    jne .unknown
    lea eax, [ebx + ecx]
    ret
.unknown:
    mov eax, ENOSYS
    ret

user_step5:
    mov ebp, 1                              ; i
    xor edi, edi                            ; sum
.int80:
    mov eax, SYS_ADD
    mov ebx, edi
    mov ecx, ebp
    int 0x80
    mov edi, eax
    inc ebp
    cmp ebp, SYSCALLS
    jbe .int80
    mov [sum_int80], edi
    mov ebp, 1
    xor edi, edi
.sysenter:
    mov eax, SYS_ADD
    mov ebx, edi
    mov esi, ebp
    mov ecx, esp
    mov edx, .back
    sysenter
.back:
    mov edi, eax
    inc ebp
    cmp ebp, SYSCALLS
    jbe .sysenter
    mov [sum_sysenter], edi
    ; and one unknown call number through each path
    mov eax, 99
    int 0x80
    mov [enosys_int80], eax
    mov eax, 99
    mov ecx, esp
    mov edx, .back2
    sysenter
.back2:
    mov [enosys_sysenter], eax
    mov eax, USER_DONE
    RETURN_TO_RING0

; -------------------------------------------------------------------------------------
; Step 6: frequent privileged operations

step6_privileged_ops:
    PRINT "[6] Frequent privileged operations: cli/sti and pushf/popf in a kernel loop", 10
    xor ebp, ebp                            ; IF changes pushf confirmed
    mov ecx, IF_ROUNDS
.round:
    cli
    pushfd
    pop eax
    test eax, EFL_IF
    jnz .bad
    inc ebp
    sti
    pushfd
    pop eax
    test eax, EFL_IF
    jz .bad
    inc ebp
    and eax, ~EFL_IF
    push eax
    popfd                                   ; IF 1 -> 0
    pushfd
    pop edx
    test edx, EFL_IF
    jnz .bad
    inc ebp
    or eax, EFL_IF
    push eax
    popfd                                   ; IF 0 -> 1
    pushfd
    pop edx
    test edx, EFL_IF
    jz .bad
    inc ebp
    dec ecx
    jnz .round
    cli
    CHECK_EQ ebp, IF_ROUNDS * 4, 6, "IF changes seen by pushf"
    PRINT "    "
    mov eax, IF_ROUNDS
    call lib_putdec
    PRINT " rounds of cli, sti, popf (IF off), popf (IF on): "
    mov eax, ebp
    call lib_putdec
    PRINT " IF changes, pushf saw each ok", 10
    ret
.bad:
    cli
    FAIL 6, "pushf after cli, sti or popf shows the wrong IF"

; -------------------------------------------------------------------------------------
; Step 7: virtual interrupts

step7_interrupts:
    PRINT "[7] Virtual interrupts: the PIT ticks through the PIC while the user process runs", 10
    mov eax, TIMER_VEC
    mov ebx, timer_entry
    mov ecx, SEL_CODE0
    mov dl, GATE_INT0
    call lib_set_gate
    call pic_init
    in al, 0x21
    movzx eax, al
    CHECK_EQ eax, 0xFE, 7, "master PIC mask read back (only IRQ 0 open)"
    call pit_init

    ; the user process spins until it has seen USER_TICKS ticks
    mov eax, user_step7
    mov edx, 7
    call run_user                           ; back with IF = 0
    CHECK_EQ [tmr_bad_frames], 0, 7, "timer interrupts from ring 3 with a wrong frame or handler stack"
    CHECK_EQ [tmr_kernel], 0, 7, "timer interrupts taken while the kernel had IF = 0"
    mov eax, [tmr_user]
    mov edx, USER_TICKS
    call check_at_least_7
    mov eax, [tmr_spin]
    mov edx, 1
    call check_at_least_7
    CHECK_EQ [tf_cs], SEL_CODE3, 7, "CS in the frame of an interrupt from the user process"
    CHECK_EQ [tf_ss], SEL_DATA3, 7, "SS in the frame of an interrupt from the user process"
    CHECK_EQ [tf_esp], user_stack_top, 7, "ESP in the frame of an interrupt from the user's spin loop"
    CHECK_EQ [tf_entry_esp], lib_kstack_top - 20, 7, "handler ESP on entry (TSS ESP0 - 5 dwords)"
    PRINT "    PIC remapped to vector 0x20 with IRQ 0 open, PIT channel 0 at ~2 kHz; the user", 10
    PRINT "    process spun until it had seen >= "
    mov eax, USER_TICKS
    call lib_putdec
    PRINT " ticks, registers and flags intact ok", 10
    PRINT "    interrupt in ring 3: frame ss:esp="
    mov eax, [tf_ss]
    call put_hex16
    PRINT ":"
    mov eax, [tf_esp]
    call lib_puthex
    PRINT " cs="
    mov eax, [tf_cs]
    call put_hex16
    PRINT ", handler on the TSS stack at "
    mov eax, [tf_entry_esp]
    call lib_puthex
    PRINT " ok", 10

    ; cli holds IRQ 0 pending: IF = 0 since the return from ring 3
    mov ebx, [tmr_ticks]
    mov ecx, WAIT_LIMIT
.wait_irr:
    call read_irr
    test al, 1
    jnz .pending
    dec ecx
    jnz .wait_irr
    FAIL 7, "IRQ 0 never became pending in the PIC's IRR"
.pending:
    mov ecx, HELD_PERIODS
    call wait_pit_periods
    CHECK_EQ [tmr_ticks], ebx, 7, "ticks counted while IF = 0 (cli must hold the interrupt)"
    call read_irr
    and eax, 1
    CHECK_EQ eax, 1, 7, "IRR bit 0 after waiting with IF = 0"
    call read_isr
    CHECK_EQ eax, 0, 7, "ISR while IF = 0 (nothing may have been acknowledged)"
    PRINT "    cli: IRQ 0 stays pending in the PIC's IRR for "
    mov eax, HELD_PERIODS
    call lib_putdec
    PRINT " more PIT periods, no tick, ISR empty ok", 10

    ; sti: the interrupt comes after the instruction in the sti shadow
    mov dword [tmr_marker], 0
    mov dword [cap_armed], 1
    mov [esp_at_sti], esp
    sti
    mov dword [tmr_marker], 1               ; in the shadow of sti: runs before the interrupt
.after_marker:
    nop
    nop
    cli
    CHECK_EQ [cap_armed], 0, 7, "no interrupt between sti and cli although IRQ 0 was pending"
    CHECK_EQ [cap_marker], 1, 7, "marker seen by the handler (0: taken inside the sti shadow)"
    CHECK_EQ [cap_eip], .after_marker, 7, "return EIP: right after the instruction that follows sti"
    CHECK_EQ [cap_cs], SEL_CODE0, 7, "CS in the frame of an interrupt in the kernel"
    mov eax, [esp_at_sti]
    sub eax, 12
    CHECK_EQ [cap_frame], eax, 7, "frame of an interrupt in the kernel: 3 dwords, no stack switch"
    PRINT "    sti; mov [marker], 1; nop: delivered after the mov (handler saw marker="
    mov eax, [cap_marker]
    call lib_putdec
    PRINT ", returned to the nop at "
    mov eax, [cap_eip]
    call lib_puthex
    PRINT ") ok", 10

    ; sti; hlt sleeps until the next tick
    mov ebp, HLT_ROUNDS
.hlt_round:
    mov dword [cap_armed], 1
    sti
    hlt
.after_hlt:
    cli
    CHECK_EQ [cap_armed], 0, 7, "sti; hlt went on without an interrupt"
    CHECK_EQ [cap_eip], .after_hlt, 7, "return EIP of the interrupt that woke hlt"
    dec ebp
    jnz .hlt_round
    PRINT "    sti; hlt: woken by the timer "
    mov eax, HLT_ROUNDS
    call lib_putdec
    PRINT " times, each returning after the hlt ok", 10
    mov al, 0xFF                            ; close IRQ 0 again
    out 0x21, al
    ret

; check_at_least_7: fails with code 7 unless EAX >= EDX (unsigned)
check_at_least_7:
    cmp eax, edx
    jae .ok
    mov [lib_actual], eax
    mov [lib_expected], edx
    mov byte [lib_have_values], 1
    mov esi, msg_too_few_ticks
    mov eax, 7
    jmp lib_fail
.ok:
    ret

; PIC: ICW1-ICW4 put the master at TIMER_VEC and the slave at TIMER_VEC + 8 (edge triggered,
; cascade on IR2, normal EOI); OCW1 opens IRQ 0 only
pic_init:
    mov al, 0x11
    out 0x20, al
    out 0xA0, al
    mov al, TIMER_VEC
    out 0x21, al
    mov al, TIMER_VEC + 8
    out 0xA1, al
    mov al, 0x04
    out 0x21, al
    mov al, 0x02
    out 0xA1, al
    mov al, 0x01
    out 0x21, al
    out 0xA1, al
    mov al, 0xFE
    out 0x21, al
    mov al, 0xFF
    out 0xA1, al
    ret

; PIT channel 0: mode 2 (rate generator), binary, divisor PIT_DIVISOR
pit_init:
    mov al, 0x34
    out 0x43, al
    mov al, PIT_DIVISOR & 0xFF
    out 0x40, al
    mov al, PIT_DIVISOR >> 8
    out 0x40, al
    ret

; read_irr / read_isr: EAX = the master PIC's IRR / ISR (OCW3)
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

; pit_read: EAX = PIT channel 0 count (counter latch command, low then high byte)
pit_read:
    xor eax, eax
    out 0x43, al
    in al, 0x40
    mov ah, al
    in al, 0x40
    xchg al, ah
    ret

; wait_pit_periods: returns once the channel 0 count has been reloaded ECX times (a read
; higher than the one before); fails after WAIT_LIMIT reads
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
    FAIL 7, "the PIT channel 0 count never reloaded"

; the timer handler (vector 0x20, interrupt gate): counts the tick, checks and records the
; frame of an interrupt from ring 3 or the first one from ring 0 after cap_armed was set,
; sends EOI to the master PIC and returns
timer_entry:
    push ds
    push eax
    push edx
    push ecx
    mov ax, SEL_DATA0
    mov ds, ax
    inc dword [tmr_ticks]
    test byte [esp + TF_CS], 3
    jz .kernel
    inc dword [tmr_user]
    xor ecx, ecx                            ; non-zero: something in the frame is wrong
    movzx eax, word [esp + TF_CS]
    cmp eax, SEL_CODE3
    setne dl
    or cl, dl
    movzx eax, word [esp + TF_SS]
    cmp eax, SEL_DATA3
    setne dl
    or cl, dl
    mov eax, [esp + TF_EFLAGS]
    and eax, EFL_IF | EFL_IOPL | EFL_VM
    cmp eax, EFL_IF
    setne dl
    or cl, dl
    lea eax, [esp + TF_EIP]
    cmp eax, lib_kstack_top - 20
    setne dl
    or cl, dl
    pushfd
    pop eax
    test eax, EFL_IF
    setnz dl
    or cl, dl
    mov eax, [esp + TF_EIP]
    cmp eax, user7_spin
    jb .checked
    cmp eax, user7_spin_end
    jae .checked
    inc dword [tmr_spin]                    ; inside the spin loop, which leaves ESP alone
    cmp dword [esp + TF_ESP], user_stack_top
    setne dl
    or cl, dl
    mov eax, [esp + TF_ESP]
    mov [tf_esp], eax
    movzx eax, word [esp + TF_CS]
    mov [tf_cs], eax
    movzx eax, word [esp + TF_SS]
    mov [tf_ss], eax
    lea eax, [esp + TF_EIP]
    mov [tf_entry_esp], eax
.checked:
    test cl, cl
    jz .eoi
    inc dword [tmr_bad_frames]
    jmp .eoi
.kernel:
    inc dword [tmr_kernel]
    cmp dword [cap_armed], 0
    je .eoi
    mov dword [cap_armed], 0
    mov eax, [tmr_marker]
    mov [cap_marker], eax
    mov eax, [esp + TF_EIP]
    mov [cap_eip], eax
    movzx eax, word [esp + TF_CS]
    mov [cap_cs], eax
    lea eax, [esp + TF_EIP]
    mov [cap_frame], eax
.eoi:
    mov al, 0x20                            ; non-specific EOI
    out 0x20, al
    pop ecx
    pop edx
    pop eax
    pop ds
    iretd

; the user process of step 7: spins, without touching its stack, until the tick count (read
; from kernel data it may read) has grown by USER_TICKS; every round checks that the flags
; it set and the registers it keeps survived the interrupts
user_step7:
    mov esi, USER7_ESI
    mov edi, USER7_EDI
    mov ebp, USER7_EBP
    mov ebx, [tmr_ticks]
    xor ecx, ecx
user7_spin:
    mov eax, 0x7FFFFFFF
    add eax, 1                              ; OF = SF = PF = 1, ZF = CF = 0
    stc                                     ; CF = 1
    mov edx, [tmr_ticks]                    ; mov, lea and the jumps keep the flags
    lea ecx, [ecx + 1]
    jno user7_flags_lost
    jns user7_flags_lost
    jnc user7_flags_lost
    jz user7_flags_lost
    jnp user7_flags_lost
    cmp eax, 0x80000000
    jne user7_regs_lost
    cmp esi, USER7_ESI
    jne user7_regs_lost
    cmp edi, USER7_EDI
    jne user7_regs_lost
    cmp ebp, USER7_EBP
    jne user7_regs_lost
    cmp esp, user_stack_top
    jne user7_regs_lost
    sub edx, ebx
    cmp edx, USER_TICKS
    jae user7_spin_end
    cmp ecx, SPIN_LIMIT
    jb user7_spin
    FAIL 7, "the user process waited in vain for timer ticks"
user7_spin_end:
    pushfd
    pop eax
    and eax, EFL_IF | EFL_IOPL
    CHECK_EQ eax, EFL_IF, 7, "user EFLAGS.IF/IOPL after the timer interrupts"
    mov eax, USER_DONE
    RETURN_TO_RING0
user7_flags_lost:
    FAIL 7, "user flags changed across a timer interrupt"
user7_regs_lost:
    FAIL 7, "a user register changed across a timer interrupt"

; -------------------------------------------------------------------------------------
; Step 8: self-modifying code

step8_self_modifying_code:
    PRINT "[8] Self-modifying code: the kernel patches an instruction's immediate and runs it again", 10
    call smc_target
    CHECK_EQ eax, 0x11111111, 8, "smc_target before patching"
    mov dword [smc_target + 1], 0x22222222
    call smc_target
    CHECK_EQ eax, 0x22222222, 8, "smc_target after patching its immediate"
    PRINT "    mov eax, 0x11111111 ran, its immediate patched to 0x22222222, ran again: eax="
    call lib_puthex
    PRINT " ok", 10
    mov ebx, 1
.round:
    lea edx, [ebx + 0x5EED0000]
    mov [smc_target + 1], edx
    call smc_target
    CHECK_EQ eax, edx, 8, "smc_target in a patch-and-run round"
    inc ebx
    cmp ebx, SMC_ROUNDS
    jbe .round
    PRINT "    "
    mov eax, SMC_ROUNDS
    call lib_putdec
    PRINT " more patch-and-run rounds, each returned its new immediate ok", 10
    ret

; -------------------------------------------------------------------------------------
; put_hex16: the low 16 bits of EAX as "0x" and 4 hex digits
put_hex16:
    push eax
    push ebx
    push ecx
    mov ebx, eax
    shl ebx, 16
    mov al, '0'
    out PORT_DEBUGCON, al
    mov al, 'x'
    out PORT_DEBUGCON, al
    mov ecx, 4
.digit:
    rol ebx, 4
    mov al, bl
    and al, 0x0F
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'a' - '0' - 10
.out:
    out PORT_DEBUGCON, al
    loop .digit
    pop ecx
    pop ebx
    pop eax
    ret

; -------------------------------------------------------------------------------------
; The code step 8 patches, alone in its page (see link.ld)

section .smc progbits alloc exec nowrite align=16
smc_target:
    mov eax, 0x11111111                     ; B8 imm32: the immediate is at smc_target + 1
    ret

; -------------------------------------------------------------------------------------
section .rodata
msg_too_few_ticks: db "step 7: too few timer ticks (expected = the minimum)", 0
fname_cs_push:   db "step 2: push cs", 0
fname_cs_mov:    db "step 2: mov ax, cs", 0
fname_gdt_base:  db "step 2: sgdt base", 0
fname_gdt_limit: db "step 2: sgdt limit", 0
fname_idt_base:  db "step 2: sidt base", 0
fname_idt_limit: db "step 2: sidt limit", 0
fname_tr:        db "step 2: str", 0
fname_msw:       db "step 2: smsw", 0
fname_eflags:    db "step 2: pushfd (IOPL, IF)", 0
align 4
field_names:
    dd fname_cs_push, fname_cs_mov, fname_gdt_base, fname_gdt_limit, fname_idt_base
    dd fname_idt_limit, fname_tr, fname_msw, fname_eflags

section .data
align 4
    dw 0
top_idtr:
    dw 256 * 8 - 1
    dd TOP_IDT
align 4
probe_buf:           dd 0, 0            ; sgdt/sidt target (user writable)
gp_caught:           dd 0
pf_error:            dd 0
pf_cr2:              dd 0
expect_kernel:       times R_FIELDS dd 0
expect_user:         times R_FIELDS dd 0
seen_kernel:         times R_FIELDS dd 0
seen_user:           times R_FIELDS dd 0
top_sidt:            dd 0
bp_hits:             dd 0
bp_eip:              dd 0
pool_next:           dd 0
pf_handled:          dd 0
pf_after_first_pass: dd 0
pf_other_errors:     dd 0
user_sum:            dd 0
int80_calls:         dd 0
sysenter_calls:      dd 0
sum_int80:           dd 0
sum_sysenter:        dd 0
enosys_int80:        dd 0
enosys_sysenter:     dd 0
tmr_ticks:           dd 0               ; step 7: all ticks
tmr_user:            dd 0               ;   taken in ring 3
tmr_spin:            dd 0               ;   ... inside the user's spin loop
tmr_kernel:          dd 0               ;   taken in ring 0
tmr_bad_frames:      dd 0
tf_cs:               dd 0               ; last frame from the spin loop
tf_ss:               dd 0
tf_esp:              dd 0
tf_entry_esp:        dd 0               ; the handler's ESP on entry
tmr_marker:          dd 0
cap_armed:           dd 0               ; 1: the next interrupt in ring 0 fills cap_*
cap_marker:          dd 0
cap_eip:             dd 0
cap_cs:              dd 0
cap_frame:           dd 0
esp_at_sti:          dd 0

section .bss
alignb 4096
secret_page:         resb 4096          ; supervisor only
demand_pt:           resb 4096          ; page table of DEMAND, empty at start
top_pt:              resb 4096          ; page table of the top 4 MiB
top_frame_low:       resb 4096          ; mapped at TOP_LOW
top_frame_idt:       resb 4096          ; mapped at TOP_IDT
top_frame_last:      resb 4096          ; mapped at TOP_LAST
pool:                resb DEMAND_PAGES * 4096
pool_end:
user_stack:          resb 8192
user_stack_top:
sysenter_stack:      resb 4096
sysenter_stack_top:
