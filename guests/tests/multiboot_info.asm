; multiboot_info: the machine state and information structure a multiboot loader hands over.
;
; Checks the entry state recorded by lib.inc before it changed anything: EAX = 0x2BADB002,
; EFLAGS.IF = 0 and VM = 0, CR0.PE = 1 and PG = 0. Then the information structure at EBX:
; it does not overlap the kernel image; flags have the memory (bit 0) and memory-map (bit 6)
; fields; mem_lower is 512-640 KiB and mem_upper at least 15 MiB; the memory map (printed)
; has an available range from 0 and one from 1 MiB covering mem_upper, and no available
; range inside 0xA0000-0xFFFFF; the command line, boot loader name and modules, when their
; flags are set, are printed (modules must be page aligned when the header asks for it).

%define TEST_NAME "multiboot_info"
%include "lib.inc"

extern _kernel_start, _end

MBI_FLAGS       equ 0
MBI_MEM_LOWER   equ 4
MBI_MEM_UPPER   equ 8
MBI_CMDLINE     equ 16
MBI_MODS_COUNT  equ 20
MBI_MODS_ADDR   equ 24
MBI_MMAP_LENGTH equ 44
MBI_MMAP_ADDR   equ 48
MBI_LOADER_NAME equ 64

section .text
test_main:
    ; ---- entry state
    mov eax, [entry_eflags]
    and eax, EFL_IF | EFL_VM
    CHECK_EQ eax, 0, 1, "EFLAGS.IF/VM at entry"
    mov eax, [entry_cr0]
    and eax, CR0_PE | CR0_PG
    CHECK_EQ eax, CR0_PE, 1, "CR0.PE/PG at entry"
    OK "entry state: protected mode, no paging, interrupts off"

    ; ---- where the structure is
    mov esi, [mb_info]
    lea eax, [esi + 88]
    cmp eax, _kernel_start
    jbe .placed_ok
    cmp esi, _end
    jae .placed_ok
    FAIL 2, "the multiboot information overlaps the kernel image"
.placed_ok:
    mov eax, [esi + MBI_FLAGS]
    and eax, (1 << 0) | (1 << 6)
    CHECK_EQ eax, (1 << 0) | (1 << 6), 2, "info flags must have memory (bit 0) and mmap (bit 6)"
    PRINT "  info at "
    mov eax, esi
    call lib_puthex
    PRINT ", flags "
    mov eax, [esi + MBI_FLAGS]
    call lib_puthex
    PRINT 10

    ; ---- memory sizes
    mov eax, [esi + MBI_MEM_LOWER]
    cmp eax, 512
    jb .bad_lower
    cmp eax, 640
    ja .bad_lower
    mov eax, [esi + MBI_MEM_UPPER]
    cmp eax, 15 * 1024
    jb .bad_upper
    PRINT "  mem_lower "
    mov eax, [esi + MBI_MEM_LOWER]
    call lib_putdec
    PRINT " KiB, mem_upper "
    mov eax, [esi + MBI_MEM_UPPER]
    call lib_putdec
    PRINT " KiB", 10

    ; ---- memory map
    mov ebx, [esi + MBI_MMAP_ADDR]
    mov edi, ebx
    add edi, [esi + MBI_MMAP_LENGTH]
    mov ebp, [esi + MBI_MEM_UPPER]
    shl ebp, 10
    add ebp, 0x100000                       ; end of upper memory
.entry:
    cmp ebx, edi
    jae .map_done
    PRINT "  mmap "
    mov eax, [ebx + 8]
    call lib_puthex
    mov eax, [ebx + 4]
    call lib_puthex_digits
    PRINT " +"
    mov eax, [ebx + 16]
    call lib_puthex
    mov eax, [ebx + 12]
    call lib_puthex_digits
    PRINT " type "
    mov eax, [ebx + 20]
    call lib_putdec
    PRINT 10
    cmp dword [ebx + 20], 1
    jne .next
    cmp dword [ebx + 8], 0                  ; above 4 GiB: not interesting here
    jne .next
    mov eax, [ebx + 4]                      ; start
    mov edx, eax
    add edx, [ebx + 12]                     ; end (the tests' RAM is far below 4 GiB)
    ; no available memory inside the legacy hole
    cmp eax, 0x100000
    jae .no_hole
    cmp edx, 0xA0000
    jbe .no_hole
    FAIL 3, "an available memory-map range overlaps 0xa0000-0xfffff"
.no_hole:
    test eax, eax
    jnz .not_low
    cmp edx, 0x80000
    jb .not_low
    mov byte [seen_low], 1
.not_low:
    cmp eax, 0x100000
    ja .next
    cmp edx, ebp
    jb .next
    mov byte [seen_high], 1
.next:
    add ebx, [ebx]
    add ebx, 4
    jmp .entry
.map_done:
    movzx eax, byte [seen_low]
    CHECK_EQ eax, 1, 4, "memory map: no available range at 0 of at least 512 KiB"
    movzx eax, byte [seen_high]
    CHECK_EQ eax, 1, 4, "memory map: no available range from 1 MiB covering mem_upper"
    OK "memory sizes and memory map"

    ; ---- optional fields
    test dword [esi + MBI_FLAGS], 1 << 2
    jz .no_cmdline
    PRINT "  cmdline: "
    push esi
    mov esi, [esi + MBI_CMDLINE]
    call lib_puts
    pop esi
    PRINT 10
.no_cmdline:
    test dword [esi + MBI_FLAGS], 1 << 9
    jz .no_name
    PRINT "  boot loader: "
    push esi
    mov esi, [esi + MBI_LOADER_NAME]
    call lib_puts
    pop esi
    PRINT 10
.no_name:
    test dword [esi + MBI_FLAGS], 1 << 3
    jz .no_mods
    PRINT "  modules: "
    mov eax, [esi + MBI_MODS_COUNT]
    call lib_putdec
    PRINT 10
    mov ecx, [esi + MBI_MODS_COUNT]
    mov ebx, [esi + MBI_MODS_ADDR]
.mod:
    test ecx, ecx
    jz .no_mods
    mov eax, [ebx]
    test eax, 0xFFF
    jz .aligned
    FAIL 5, "a module is not page aligned"
.aligned:
    cmp eax, _end
    jae .after_kernel
    mov edx, [ebx + 4]
    cmp edx, _kernel_start
    jbe .after_kernel
    FAIL 5, "a module overlaps the kernel image"
.after_kernel:
    add ebx, 16
    dec ecx
    jmp .mod
.no_mods:
    OK "command line, loader name and modules"
    ret

.bad_lower:
    mov [lib_actual], eax
    mov dword [lib_expected], 639
    mov byte [lib_have_values], 1
    FAIL 4, "mem_lower outside 512-640 KiB"
.bad_upper:
    mov [lib_actual], eax
    mov dword [lib_expected], 15 * 1024
    mov byte [lib_have_values], 1
    FAIL 4, "mem_upper below 15 MiB"

section .data
seen_low:   db 0
seen_high:  db 0
