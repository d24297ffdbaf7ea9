; paging4m: CR4.PSE 4 MiB pages, CR4.PGE global pages and CR0.WP.
;
; Page directory (all 4 MiB pages unless noted):
;   0x00000000-0x00FFFFFF  identity (4 PDEs)
;   0x80000000 -> phys 0x00400000 RW           0x80400000 -> phys 0x00400000 read-only
;   0x80800000 -> phys 0x00800000 RW, global   0x80C00000 -> a 4 KiB page table (mixed sizes)
; Checks reads and writes through the large pages, A and D in 4 MiB PDEs, a 4 KiB table
; beside 4 MiB pages, that a global mapping works and is refreshed by toggling CR4.PGE and by
; INVLPG, that a non-global mapping is refreshed by a CR3 reload while PGE is on, and that
; a supervisor write to a read-only page succeeds with WP=0 and faults (#PF, error 3) with WP=1,
; for both a 4 MiB and a 4 KiB read-only page.

%define TEST_NAME "paging4m"
%include "lib.inc"

BIG     equ 0x80000000
PDE_BIG equ pd + (BIG >> 22) * 4
PDE_RO  equ PDE_BIG + 4
PDE_GLB equ PDE_BIG + 8
PDE_MIX equ PDE_BIG + 12

section .text
test_main:
    mov eax, (1 << 3) | (1 << 13)           ; PSE, PGE
    call lib_require_cpuid_edx

    ; ---- tables
    mov edi, pd
    mov ecx, 1024
    xor eax, eax
    rep stosd
    mov dword [pd + 0], 0x00000000 | PG_P | PG_RW | PG_PS
    mov dword [pd + 4], 0x00400000 | PG_P | PG_RW | PG_PS
    mov dword [pd + 8], 0x00800000 | PG_P | PG_RW | PG_PS
    mov dword [pd + 12], 0x00C00000 | PG_P | PG_RW | PG_PS
    mov dword [PDE_BIG], 0x00400000 | PG_P | PG_RW | PG_PS
    mov dword [PDE_RO], 0x00400000 | PG_P | PG_PS
    mov dword [PDE_GLB], 0x00800000 | PG_P | PG_RW | PG_PS | PG_G
    mov eax, mixed_pt
    or eax, PG_P | PG_RW
    mov [PDE_MIX], eax
    mov dword [mixed_pt + 1 * 4], 0x00401000 | PG_P | PG_RW
    mov dword [mixed_pt + 2 * 4], 0x00402000 | PG_P          ; read-only 4 KiB page

    ; distinct contents at the physical targets (paging off)
    mov dword [0x00400100], 0x1234ABCD
    mov dword [0x00401000], 0x40100040
    mov dword [0x00800000], 0x80000080
    mov dword [0x00C00000], 0xC00000C0

    mov eax, cr4
    or eax, CR4_PSE
    mov cr4, eax
    mov eax, pd
    mov cr3, eax
    mov eax, cr0
    or eax, CR0_PG
    and eax, ~CR0_WP
    mov cr0, eax
    OK "4 MiB paging enabled"

    ; ---- 4 MiB pages
    mov eax, [BIG + 0x100]
    CHECK_EQ eax, 0x1234ABCD, 1, "read through the 4 MiB alias"
    mov dword [BIG + 0x200], 0x0BADCAFE
    mov eax, [0x00400200]
    CHECK_EQ eax, 0x0BADCAFE, 1, "write through the 4 MiB alias seen at the identity address"
    mov eax, [BIG + 0x3FFFFC]
    mov dword [BIG + 0x3FFFF8], 0x600DF00D
    mov eax, [0x007FFFF8]
    CHECK_EQ eax, 0x600DF00D, 1, "last dwords of the 4 MiB page"
    mov eax, [PDE_BIG]
    and eax, PG_A | PG_D
    CHECK_EQ eax, PG_A | PG_D, 2, "A and D of a written 4 MiB PDE"
    mov eax, [BIG + 0x400000 + 0x100]       ; read-only alias, read
    CHECK_EQ eax, 0x1234ABCD, 2, "read through the read-only 4 MiB alias"
    mov eax, [PDE_RO]
    and eax, PG_A | PG_D
    CHECK_EQ eax, PG_A, 2, "A without D in a read 4 MiB PDE"
    OK "4 MiB pages: access, A and D"

    ; ---- 4 KiB table beside 4 MiB pages
    mov eax, [BIG + 0xC00000 + 0x1000]
    CHECK_EQ eax, 0x40100040, 3, "4 KiB page in a table next to 4 MiB PDEs"
    mov eax, [mixed_pt + 4]
    and eax, PG_A
    CHECK_EQ eax, PG_A, 3, "A in the 4 KiB PTE"
    EXPECT_FAULT 14, 0, 3, mov eax, [BIG + 0xC00000 + 0x3000]
    OK "mixed page sizes"

    ; ---- global pages
    mov eax, cr4
    or eax, CR4_PGE
    mov cr4, eax
    mov eax, cr4
    and eax, CR4_PGE | CR4_PSE
    CHECK_EQ eax, CR4_PGE | CR4_PSE, 4, "CR4.PGE|PSE read back"
    mov eax, [BIG + 0x800000]
    CHECK_EQ eax, 0x80000080, 4, "read through the global 4 MiB page"
    ; retarget the global PDE; a CR3 reload may or may not drop it (not checked), but
    ; clearing and setting CR4.PGE must
    mov dword [PDE_GLB], 0x00C00000 | PG_P | PG_RW | PG_PS | PG_G
    mov eax, cr3
    mov cr3, eax
    mov eax, [BIG + 0x800000]               ; either value is architecturally allowed
    mov eax, cr4
    and eax, ~CR4_PGE
    mov cr4, eax
    or eax, CR4_PGE
    mov cr4, eax
    mov eax, [BIG + 0x800000]
    CHECK_EQ eax, 0xC00000C0, 4, "global PDE retargeted, then CR4.PGE toggled"
    ; INVLPG also drops global translations
    mov dword [PDE_GLB], 0x00800000 | PG_P | PG_RW | PG_PS | PG_G
    invlpg [BIG + 0x800000]
    mov eax, [BIG + 0x800000]
    CHECK_EQ eax, 0x80000080, 4, "global PDE retargeted, then INVLPG"
    ; a non-global mapping is refreshed by a CR3 reload while PGE is on
    mov dword [PDE_BIG], 0x00C00000 | PG_P | PG_RW | PG_PS
    mov eax, cr3
    mov cr3, eax
    mov eax, [BIG]
    CHECK_EQ eax, 0xC00000C0, 4, "non-global PDE retargeted, then CR3 reload with PGE on"
    mov dword [PDE_BIG], 0x00400000 | PG_P | PG_RW | PG_PS
    mov eax, cr3
    mov cr3, eax
    OK "global pages (CR4.PGE)"

    ; ---- CR0.WP
    mov dword [BIG + 0x400000 + 0x300], 0x77777777      ; WP=0: allowed
    mov eax, [0x00400300]
    CHECK_EQ eax, 0x77777777, 5, "supervisor write to a read-only 4 MiB page with WP=0"
    mov dword [BIG + 0xC00000 + 0x2000], 0x66666666     ; 4 KiB read-only, WP=0
    mov eax, [0x00402000]
    CHECK_EQ eax, 0x66666666, 5, "supervisor write to a read-only 4 KiB page with WP=0"
    mov eax, cr0
    or eax, CR0_WP
    mov cr0, eax
    EXPECT_FAULT 14, 3, 6, mov dword [BIG + 0x400000 + 0x304], 0x88888888
    CHECK_EQ [exc_cr2], BIG + 0x400304, 6, "CR2 of the WP fault (4 MiB page)"
    EXPECT_FAULT 14, 3, 6, mov dword [BIG + 0xC00000 + 0x2004], 0x88888888
    CHECK_EQ [exc_cr2], BIG + 0xC02004, 6, "CR2 of the WP fault (4 KiB page)"
    mov eax, [0x00400304]
    CHECK_EQ eax, 0, 6, "the faulting write must not reach memory"
    mov eax, [BIG + 0x400000 + 0x300]
    CHECK_EQ eax, 0x77777777, 6, "reads of the read-only page still work with WP=1"
    mov eax, cr0
    and eax, ~CR0_WP
    mov cr0, eax
    mov dword [BIG + 0x400000 + 0x304], 0x99999999
    mov eax, [0x00400304]
    CHECK_EQ eax, 0x99999999, 7, "write allowed again after clearing WP"
    OK "CR0.WP"

    mov eax, cr0
    and eax, ~CR0_PG
    mov cr0, eax
    mov eax, cr4
    and eax, ~(CR4_PGE | CR4_PSE)
    mov cr4, eax
    ret

section .bss
alignb 4096
pd:         resb 4096
mixed_pt:   resb 4096
