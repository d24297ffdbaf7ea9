; c4_address_space: the top 4 MiB of linear space (0xFFC00000-0xFFFFFFFF) is usable.
;
; Paging maps 0-16 MiB identity, PDE 1022 back to the page directory itself (recursive
; mapping: page tables at 0xFF800000, the directory at 0xFFBFE000) and PDE 1023 to a table
; with:  0xFFFFF000 IDT   0xFFFFE000 GDT   0xFFFFD000 stack   0xFFFFC000 data
;        0xFFFFB000 not present.
; Checks: LGDT/LIDT with bases at the top, a far jump and segment reloads through that GDT,
; a software interrupt and exceptions (#UD, #PF with CR2 at the top) delivered through that
; IDT while the stack is also at the top, ESP wrapping from 0 to 0xFFFFFFFC on push and back
; on pop, the recursive mapping, and INVLPG of a top page.

%define TEST_NAME "c4_address_space"
%include "lib.inc"

TOP_IDT   equ 0xFFFFF000
TOP_GDT   equ 0xFFFFE000
TOP_STACK equ 0xFFFFD000
TOP_DATA  equ 0xFFFFC000
TOP_HOLE  equ 0xFFFFB000
RECURSIVE_PTS equ 0xFF800000            ; PDE 1022 -> PD: page table i at 0xFF800000 + i * 4096
RECURSIVE_PD  equ 0xFFBFE000

section .text
test_main:
    ; the IDT gets an extra software-interrupt gate before it is copied
    mov eax, 0x40
    mov ebx, int40_handler
    mov ecx, SEL_CODE0
    mov dl, GATE_INT0
    call lib_set_gate

    mov eax, PG_P | PG_RW
    call lib_identity_paging
    mov eax, top_pt
    or eax, PG_P | PG_RW
    mov [lib_pd + 1023 * 4], eax
    mov eax, lib_pd
    or eax, PG_P | PG_RW
    mov [lib_pd + 1022 * 4], eax
    mov eax, idt_page
    or eax, PG_P | PG_RW
    mov [top_pt + 1023 * 4], eax
    mov eax, gdt_page
    or eax, PG_P | PG_RW
    mov [top_pt + 1022 * 4], eax
    mov eax, stack_page
    or eax, PG_P | PG_RW
    mov [top_pt + 1021 * 4], eax
    mov eax, data_page
    or eax, PG_P | PG_RW
    mov [top_pt + 1020 * 4], eax
    mov dword [data_page], 0xDA7A0001
    mov dword [data_page2], 0xDA7A0002
    ; copies of the GDT and IDT
    mov esi, lib_gdt
    mov edi, gdt_page
    mov ecx, GDT_ENTRIES * 2
    rep movsd
    mov esi, lib_idt
    mov edi, idt_page
    mov ecx, 256 * 2
    rep movsd
    call lib_enable_paging

    ; ---- data at the top
    mov eax, [TOP_DATA]
    CHECK_EQ eax, 0xDA7A0001, 1, "read at 0xffffc000"
    mov dword [0xFFFFFFFC], 0x7070FFFC
    mov eax, [idt_page + 0xFFC]
    CHECK_EQ eax, 0x7070FFFC, 1, "the last dword of linear space is the IDT page's last dword"
    mov eax, [RECURSIVE_PD + 1023 * 4]
    CHECK_EQ eax, [lib_pd + 1023 * 4], 2, "PDE 1023 read through the recursive mapping"
    mov eax, [RECURSIVE_PTS + 1023 * 4096 + 1021 * 4]
    and eax, ~(PG_A | PG_D)
    mov ebx, stack_page
    or ebx, PG_P | PG_RW
    CHECK_EQ eax, ebx, 2, "top page table read through the recursive mapping"
    OK "data at the top of linear space, recursive mapping"

    ; ---- descriptor tables at the top
    lgdt [top_gdtr]
    lidt [top_idtr]
    jmp SEL_CODE0:.reloaded
.reloaded:
    mov ax, SEL_DATA0
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    sgdt [scratch]
    CHECK_EQ [scratch + 2], TOP_GDT, 3, "SGDT base"
    sidt [scratch]
    CHECK_EQ [scratch + 2], TOP_IDT, 3, "SIDT base"
    OK "GDT at 0xffffe000, IDT at 0xfffff000, segments reloaded through them"

    ; ---- interrupts through the top IDT, with the stack at the top too
    mov [saved_esp], esp
    mov esp, TOP_STACK + 4096
    mov dword [int40_count], 0
    int 0x40
    mov eax, esp
    CHECK_EQ eax, TOP_STACK + 4096, 4, "ESP after int 0x40 with the stack at the top"
    CHECK_EQ [int40_count], 1, 4, "int 0x40 handler ran"
    CHECK_EQ [int40_esp], TOP_STACK + 4096 - 12, 4, "handler ESP (3 dwords pushed at the top)"
    EXPECT_FAULT 6, NOERR, 5, ud2
    EXPECT_FAULT 14, 0, 5, mov eax, [TOP_HOLE + 0x10]
    CHECK_EQ [exc_cr2], TOP_HOLE + 0x10, 5, "CR2 of a fault at 0xffffb010"
    EXPECT_FAULT 14, 2, 5, mov dword [0xFF400000], 0       ; PDE 1021 is not present
    CHECK_EQ [exc_cr2], 0xFF400000, 5, "CR2 of a fault under a not-present PDE"
    mov esp, [saved_esp]
    OK "int 0x40, #UD and #PF through the IDT at the top"

    ; ---- ESP wrapping around 4 GiB
    mov [saved_esp], esp
    xor esp, esp
    push dword 0x5A5AA5A5
    mov ebx, esp
    mov ecx, [0xFFFFFFFC]
    pop edx
    mov eax, esp
    mov esp, [saved_esp]
    CHECK_EQ ebx, 0xFFFFFFFC, 6, "ESP after push with ESP = 0"
    CHECK_EQ ecx, 0x5A5AA5A5, 6, "pushed value at 0xfffffffc"
    CHECK_EQ edx, 0x5A5AA5A5, 6, "popped value"
    CHECK_EQ eax, 0, 6, "ESP after the pop wraps back to 0"
    OK "ESP wraps around 4 GiB"

    ; ---- INVLPG at the top
    mov eax, data_page2
    or eax, PG_P | PG_RW
    mov [RECURSIVE_PTS + 1023 * 4096 + 1020 * 4], eax  ; edit the PTE through the recursive map
    invlpg [TOP_DATA]
    mov eax, [TOP_DATA]
    CHECK_EQ eax, 0xDA7A0002, 7, "0xffffc000 after retargeting its PTE and INVLPG"
    OK "invlpg of a top page"

    ; ---- back to the low tables
    lgdt [lib_gdt_desc]
    lidt [lib_idt_desc]
    jmp SEL_CODE0:.low
.low:
    mov ax, SEL_DATA0
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    call lib_disable_paging
    ret

int40_handler:
    mov [int40_esp], esp
    inc dword [int40_count]
    iretd

section .data
align 4
    dw 0
top_gdtr:
    dw GDT_ENTRIES * 8 - 1
    dd TOP_GDT
align 4
    dw 0
top_idtr:
    dw 256 * 8 - 1
    dd TOP_IDT
saved_esp:      dd 0
int40_esp:      dd 0
int40_count:    dd 0
scratch:        dd 0, 0

section .bss
alignb 4096
top_pt:         resb 4096
idt_page:       resb 4096
gdt_page:       resb 4096
stack_page:     resb 4096
data_page:      resb 4096
data_page2:     resb 4096
