; paging4k: two-level 32-bit paging with 4 KiB pages.
;
; Identity maps 0-16 MiB and adds a page table at linear 0x40000000 with aliases:
;   0x40000000 -> page A (RW)       0x40001000 -> page A (RW)
;   0x40002000 -> page B, then C    0x40003000 -> not present
;   0x40004000 -> page A read-only
; and checks: a write through one alias is read through the other and through the identity
; mapping; the accessed and dirty bits the MMU sets in PDEs and PTEs (D only on writes, also
; when the translation was first cached by a read); INVLPG and a CR3 reload make a changed
; PTE visible; not-present #PF error codes and CR2; a dword access that straddles two pages.

%define TEST_NAME "paging4k"
%include "lib.inc"

ALIAS       equ 0x40000000
ALIAS_PDE   equ lib_pd + (ALIAS >> 22) * 4

section .text
test_main:
    ; ---- build the tables (paging still off)
    mov eax, PG_P | PG_RW
    call lib_identity_paging
    mov dword [page_b], 0xBBBB0000
    mov dword [page_c], 0xCCCC0000
    mov eax, alias_pt
    or eax, PG_P | PG_RW
    mov [ALIAS_PDE], eax
    mov eax, page_a
    or eax, PG_P | PG_RW
    mov [alias_pt + 0 * 4], eax
    mov [alias_pt + 1 * 4], eax
    mov eax, page_a
    or eax, PG_P                    ; read-only alias
    mov [alias_pt + 4 * 4], eax
    mov eax, page_b
    or eax, PG_P | PG_RW
    mov [alias_pt + 2 * 4], eax
    mov dword [alias_pt + 3 * 4], 0

    call lib_enable_paging
    mov eax, cr0
    and eax, CR0_PG | CR0_PE
    CHECK_EQ eax, CR0_PG | CR0_PE, 1, "CR0.PG/PE after enabling paging"
    mov eax, cr3
    CHECK_EQ eax, lib_pd, 1, "CR3 read back"
    OK "paging enabled"

    ; ---- fresh entries have A and D clear
    mov eax, [alias_pt + 0 * 4]
    and eax, PG_A | PG_D
    CHECK_EQ eax, 0, 2, "PTE 0 has A/D before any access"

    ; ---- write through one alias, read through the other and the identity mapping
    mov dword [ALIAS + 0x10], 0x11223344
    mov eax, [ALIAS + 0x1000 + 0x10]
    CHECK_EQ eax, 0x11223344, 3, "read through the second alias"
    mov eax, [page_a + 0x10]
    CHECK_EQ eax, 0x11223344, 3, "read through the identity mapping"
    mov eax, [ALIAS + 0x4000 + 0x10]
    CHECK_EQ eax, 0x11223344, 3, "read through the read-only alias"
    OK "aliases see the same page"

    ; ---- accessed / dirty bits
    mov eax, [alias_pt + 0 * 4]
    and eax, PG_A | PG_D
    CHECK_EQ eax, PG_A | PG_D, 4, "PTE of the written alias: A and D"
    mov eax, [alias_pt + 1 * 4]
    and eax, PG_A | PG_D
    CHECK_EQ eax, PG_A, 4, "PTE of the read alias: A only"
    mov eax, [ALIAS_PDE]
    and eax, PG_A
    CHECK_EQ eax, PG_A, 4, "PDE of the alias table: A"
    mov eax, page_a
    shr eax, 12
    mov eax, [lib_pts + eax * 4]
    and eax, PG_A | PG_D
    CHECK_EQ eax, PG_A, 4, "identity PTE of page A after a read: A only"
    ; the second alias is cached by the read above; a write must still set D
    mov dword [ALIAS + 0x1000 + 0x20], 0x55667788
    mov eax, [alias_pt + 1 * 4]
    and eax, PG_A | PG_D
    CHECK_EQ eax, PG_A | PG_D, 4, "write after a cached read sets D"
    mov eax, [ALIAS + 0x20]
    CHECK_EQ eax, 0x55667788, 4, "data written through the second alias"
    OK "accessed and dirty bits"

    ; ---- INVLPG and CR3 reload after changing a PTE
    mov eax, [ALIAS + 0x2000]
    CHECK_EQ eax, 0xBBBB0000, 5, "0x40002000 maps page B"
    mov eax, page_c
    or eax, PG_P | PG_RW
    mov [alias_pt + 2 * 4], eax
    invlpg [ALIAS + 0x2000]
    mov eax, [ALIAS + 0x2000]
    CHECK_EQ eax, 0xCCCC0000, 5, "after INVLPG 0x40002000 maps page C"
    mov eax, page_b
    or eax, PG_P | PG_RW
    mov [alias_pt + 2 * 4], eax
    mov eax, cr3
    mov cr3, eax
    mov eax, [ALIAS + 0x2000]
    CHECK_EQ eax, 0xBBBB0000, 5, "after a CR3 reload 0x40002000 maps page B again"
    OK "invlpg and CR3 reload"

    ; ---- not-present faults
    EXPECT_FAULT 14, 0, 6, mov eax, [ALIAS + 0x3000 + 8]
    CHECK_EQ [exc_cr2], ALIAS + 0x3008, 6, "CR2 of the read fault"
    EXPECT_FAULT 14, 2, 6, mov dword [ALIAS + 0x3000 + 12], 1
    CHECK_EQ [exc_cr2], ALIAS + 0x300C, 6, "CR2 of the write fault"
    ; a not-present PDE
    EXPECT_FAULT 14, 0, 7, mov eax, [0x80000000]
    CHECK_EQ [exc_cr2], 0x80000000, 7, "CR2 of the fault on a not-present PDE"
    OK "not-present page faults"

    ; ---- an access straddling two pages (both alias page A)
    mov dword [ALIAS + 0xFFE], 0xAABBCCDD
    movzx eax, word [page_a + 0xFFE]
    CHECK_EQ eax, 0xCCDD, 8, "low half of the straddling store"
    movzx eax, word [page_a + 0]
    CHECK_EQ eax, 0xAABB, 8, "high half of the straddling store (wrapped into the same page)"
    mov eax, [ALIAS + 0xFFE]
    CHECK_EQ eax, 0xAABBCCDD, 8, "straddling load"
    ; straddling into a not-present page faults with CR2 in the second page
    mov dword [exc_cr2], 0
    EXPECT_FAULT 14, 2, 9, mov dword [ALIAS + 0x2FFE], 0x12345678
    mov eax, [exc_cr2]
    and eax, ~0xFFF
    CHECK_EQ eax, ALIAS + 0x3000, 9, "CR2 page of a store straddling into a not-present page"
    movzx eax, word [page_b + 0xFFE]
    CHECK_EQ eax, 0, 9, "a faulting straddling store must not write its first part"
    OK "page-straddling accesses"

    call lib_disable_paging
    ret

section .bss
alignb 4096
alias_pt:   resb 4096
page_a:     resb 4096
page_b:     resb 4096
page_c:     resb 4096
