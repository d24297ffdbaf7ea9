; c5_guest_pagefault: demand paging by the guest's own #PF handler.
;
; Linear 0x40000000-0x400FFFFF starts unmapped. The #PF handler (exc_hook) takes a page from
; a pool at physical 8 MiB, zeroes it, maps it (user, read/write), logs the error code and
; returns to the faulting instruction, which restarts and must then succeed. No INVLPG is
; done after a not-present -> present change (x86 does not cache not-present entries).
; Exercised: stores and loads (one fault per page, none on the second touch), a rep stosd
; and a rep movsd that fault in the middle and resume with the right ECX/ESI/EDI, a store
; straddling two missing pages (two faults), an instruction fetch from a missing page (the
; handler copies code into it), and ring 3 code whose stack and data are demand paged.
; The fault count and the logged error codes (0 read, 2 write, 4 user read, 6 user write)
; are checked.

%define TEST_NAME "c5_guest_pagefault"
%include "lib.inc"

DEMAND      equ 0x40000000
DEMAND_SIZE equ 0x00100000
POOL        equ 0x00800000
POOL_END    equ 0x00900000
CODE_PAGE   equ 100
LOG_MAX     equ 256

%define PAGE(n) (DEMAND + (n) * 4096)

section .text
test_main:
    call lib_setup_tss
    mov eax, PG_P | PG_RW | PG_US
    call lib_identity_paging
    mov eax, demand_pt
    or eax, PG_P | PG_RW | PG_US
    mov [lib_pd + (DEMAND >> 22) * 4], eax
    mov dword [pool_next], POOL
    mov dword [exc_hook], demand_hook
    call lib_enable_paging

    ; ---- 64 pages by stores, then read back without faults
    xor ecx, ecx
.store:
    mov eax, ecx
    shl eax, 12
    lea edx, [ecx + 0x1000]
    mov [DEMAND + eax + ecx * 8], edx
    inc ecx
    cmp ecx, 64
    jb .store
    CHECK_EQ [fault_count], 64, 1, "one fault per page for 64 stores"
    xor ecx, ecx
.load:
    mov eax, ecx
    shl eax, 12
    lea edx, [ecx + 0x1000]
    cmp [DEMAND + eax + ecx * 8], edx
    jne .bad_load
    cmp dword [DEMAND + eax + 4092], 0      ; the rest of the page was zeroed
    jne .bad_load
    inc ecx
    cmp ecx, 64
    jb .load
    CHECK_EQ [fault_count], 64, 1, "no faults when the pages are touched again"
    CHECK_EQ [fault_log + 0], 2, 1, "error code of a supervisor store to a missing page"
    CHECK_EQ [fault_addr_log + 63 * 4], PAGE(63) + 63 * 8, 1, "CR2 of the 64th fault"
    OK "64 pages faulted in by stores"

    ; ---- a load
    mov eax, [PAGE(64) + 0x10]
    CHECK_EQ eax, 0, 2, "load from a fresh page"
    CHECK_EQ [fault_count], 65, 2, "one fault for the load"
    CHECK_EQ [fault_log + 64 * 4], 0, 2, "error code of a supervisor load"

    ; ---- rep stosd over three missing pages
    mov edi, PAGE(70) + 4000
    mov ecx, (96 + 4096 + 200) / 4
    mov eax, 0xABABABAB
    rep stosd
    CHECK_EQ ecx, 0, 3, "rep stosd ECX after the restarts"
    CHECK_EQ edi, PAGE(70) + 4000 + 96 + 4096 + 200, 3, "rep stosd EDI after the restarts"
    CHECK_EQ [fault_count], 68, 3, "three faults for rep stosd over three pages"
    CHECK_EQ [PAGE(70) + 4000], 0xABABABAB, 3, "first dword stored"
    CHECK_EQ [PAGE(71) + 2000], 0xABABABAB, 3, "middle dword stored"
    CHECK_EQ [PAGE(72) + 196], 0xABABABAB, 3, "last dword stored"
    CHECK_EQ [PAGE(72) + 200], 0, 3, "dword after the last one untouched"

    ; ---- rep movsd from a present page to two missing ones
    mov esi, PAGE(70) + 4000
    mov edi, PAGE(80) + 4080
    mov ecx, 8
    rep movsd
    CHECK_EQ ecx, 0, 4, "rep movsd ECX"
    CHECK_EQ esi, PAGE(70) + 4032, 4, "rep movsd ESI"
    CHECK_EQ edi, PAGE(81) + 16, 4, "rep movsd EDI"
    CHECK_EQ [PAGE(81) + 12], 0xABABABAB, 4, "rep movsd data"
    CHECK_EQ [fault_count], 70, 4, "two faults for rep movsd"
    OK "loads, rep stosd and rep movsd restart after faults"

    ; ---- a store straddling two missing pages
    mov dword [PAGE(90) - 2], 0x11223344
    CHECK_EQ [fault_count], 72, 5, "two faults for a straddling store"
    movzx eax, word [PAGE(90) - 2]
    CHECK_EQ eax, 0x3344, 5, "low half of the straddling store"
    movzx eax, word [PAGE(90)]
    CHECK_EQ eax, 0x1122, 5, "high half of the straddling store"
    OK "page-straddling store"

    ; ---- instruction fetch from a missing page
    call PAGE(CODE_PAGE) + 0x10
    CHECK_EQ eax, 0xC0DEC0DE, 6, "code copied in by the handler ran"
    CHECK_EQ [fault_count], 73, 6, "one fault for the instruction fetch"
    CHECK_EQ [fault_log + 72 * 4], 0, 6, "error code of an instruction fetch (no NX: I/D = 0)"
    CHECK_EQ [fault_addr_log + 72 * 4], PAGE(CODE_PAGE) + 0x10, 6, "CR2 of the instruction fetch"
    OK "instruction fetch from a missing page"

    ; ---- ring 3 with a demand-paged stack
    mov eax, user_main
    mov ebx, PAGE(200)                      ; the stack grows down into page 199
    mov ecx, 0x202
    call lib_enter_ring3
    CHECK_EQ eax, 0xD0D0, 7, "ring 3 part did not finish"
    CHECK_EQ [fault_count], 73 + 1 + 4 + 2, 7, "faults taken for ring 3"
    CHECK_EQ [fault_log + 73 * 4], 6, 7, "error code of the user stack push"
    CHECK_EQ [fault_addr_log + 73 * 4], PAGE(200) - 4, 7, "CR2 of the user stack push"
    CHECK_EQ [fault_log + 74 * 4], 6, 7, "error code of a user store"
    CHECK_EQ [fault_log + 78 * 4], 4, 7, "error code of a user load"
    OK "ring 3 demand paging (stack and data)"

    mov eax, [pool_next]
    sub eax, POOL
    shr eax, 12
    CHECK_EQ eax, [fault_count], 8, "one pool page per fault"
    mov dword [exc_hook], 0
    call lib_disable_paging
    mov eax, [fault_count]
    call lib_putdec
    PRINT " page faults handled", 10
    ret

.bad_load:
    FAIL 1, "data of a demand-paged page wrong on the second touch"

; -------------------------------------------------------------------------------------
user_main:
    push dword 0x12345678                   ; faults in the stack page
    pop eax
    CHECK_EQ eax, 0x12345678, 20, "user push/pop through a demand-paged stack"
    mov dword [PAGE(150)], 150
    mov dword [PAGE(151)], 151
    mov dword [PAGE(152)], 152
    mov dword [PAGE(153)], 153
    mov eax, [PAGE(160)]
    add eax, [PAGE(161)]
    CHECK_EQ eax, 0, 20, "user loads of fresh pages"
    mov eax, [PAGE(150)]
    add eax, [PAGE(153)]
    CHECK_EQ eax, 303, 20, "user data after the faults"
    mov eax, 0xD0D0
    RETURN_TO_RING0

; -------------------------------------------------------------------------------------
; exc_hook: maps a pool page for a not-present fault inside the demand region
demand_hook:
    cmp dword [ebx + FRAME_VECTOR], 14
    jne .not_ours
    mov eax, cr2
    sub eax, DEMAND
    cmp eax, DEMAND_SIZE
    jae .not_ours
    shr eax, 12
    cmp dword [demand_pt + eax * 4], 0
    jne .not_ours                           ; mapped already: a real protection fault
    mov edx, [pool_next]
    cmp edx, POOL_END
    jae .not_ours
    add dword [pool_next], 4096
    mov edi, edx
    mov ecx, 1024
    push eax
    xor eax, eax
    rep stosd
    pop eax
    cmp eax, CODE_PAGE
    jne .map
    lea edi, [edx + 0x10]
    mov esi, code_template
    mov ecx, code_template_end - code_template
    rep movsb
.map:
    mov ecx, edx
    or ecx, PG_P | PG_RW | PG_US
    mov [demand_pt + eax * 4], ecx
    mov edx, [fault_count]
    cmp edx, LOG_MAX
    jae .counted
    mov ecx, [ebx + FRAME_ERROR]
    mov [fault_log + edx * 4], ecx
    mov ecx, cr2
    mov [fault_addr_log + edx * 4], ecx
.counted:
    inc dword [fault_count]
    mov eax, 1
    ret
.not_ours:
    xor eax, eax
    ret

code_template:
    mov eax, 0xC0DEC0DE
    ret
code_template_end:

section .data
pool_next:      dd 0
fault_count:    dd 0

section .bss
alignb 4096
demand_pt:      resb 4096
fault_log:      resd LOG_MAX
fault_addr_log: resd LOG_MAX
