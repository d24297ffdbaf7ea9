; pci_testdev: a PCI function's BARs as a guest meets them, through QEMU's PCI test device
; (run with -device pci-testdev; QEMU's docs/specs/pci-testdev.rst describes its protocol).
;
;   (a) configuration mechanism #1 (ports 0xCF8/0xCFC) finds 1b36:0005 on bus 0; firmware
;       (or jvisor, booting without one) has given BAR0 a memory address and BAR1 an I/O
;       port and enabled both spaces in the command register;
;   (b) BAR sizing: all ones written to BAR0 read back as 0xFFFFF000 (4 KiB, 32-bit
;       memory), to BAR1 as 0xFFFFFF01 (256 ports); the addresses are put back;
;   (c) the test protocol on each BAR: select test N (byte write at offset 0), the count
;       reads 0, the width byte is 1, 2 or 4 (else N is past the last test), write the data
;       word 16 times at the offset the header gives, the count then says 16 (or 0 for a
;       test QEMU hands to an eventfd); the BAR offers three tests, whose names are printed;
;   (d) a BAR moves: BAR1 reprogrammed to port 0xD000 and BAR0 to 0xE0001000, the tests
;       run at the new places;
;   (e) memory decoding off in the command register: 16 writes to the memory BAR are lost
;       (the count stays 0 once decoding is back on).

%define TEST_NAME "pci_testdev"
%include "lib.inc"

CONFIG_ADDRESS equ 0xCF8
CONFIG_DATA    equ 0xCFC
TESTDEV_ID     equ 0x00051B36           ; device 0x0005, vendor 0x1B36 (Red Hat, QEMU)
NEW_IO         equ 0xD000
NEW_MEM        equ 0xE0001000
HDR_TEST       equ 0
HDR_WIDTH      equ 1
HDR_OFFSET     equ 4
HDR_DATA       equ 8
HDR_COUNT      equ 12
HDR_NAME       equ 16
WRITES         equ 16

section .text
test_main:
    ; ---- (a) find the device
    xor ebx, ebx                            ; slot
.scan:
    mov eax, ebx
    shl eax, 11
    or eax, 0x80000000
    call cfg_read
    cmp eax, TESTDEV_ID
    je .found
    inc ebx
    cmp ebx, 32
    jb .scan
    FAIL 1, "no 1b36:0005 on bus 0 (run with -device pci-testdev)"
.found:
    shl ebx, 11
    or ebx, 0x80000000
    mov [dev], ebx
    lea eax, [ebx + 0x10]
    call cfg_read
    mov [bar0], eax
    test eax, 1
    jz .mem_ok
    FAIL 2, "BAR0 is not a memory BAR"
.mem_ok:
    and dword [bar0], 0xFFFFFFF0
    cmp dword [bar0], 0
    jne .mem_assigned
    FAIL 3, "BAR0 has no address"
.mem_assigned:
    lea eax, [ebx + 0x14]
    call cfg_read
    mov ecx, eax
    and ecx, 3
    CHECK_EQ ecx, 1, 4, "BAR1 is an I/O BAR"
    and eax, 0xFFFFFFFC
    mov [bar1], eax
    lea eax, [ebx + 0x04]
    call cfg_read
    and eax, 3
    CHECK_EQ eax, 3, 5, "I/O and memory decoding enabled"
    PRINT "  memory BAR at "
    mov eax, [bar0]
    call lib_puthex
    PRINT ", I/O BAR at "
    mov eax, [bar1]
    call lib_puthex
    PRINT 10
    OK "found 1b36:0005 with its BARs assigned and enabled"

    ; ---- (b) BAR sizing
    mov eax, [dev]
    add eax, 0x10
    mov edx, 0xFFFFFFFF
    call cfg_write
    call cfg_read
    CHECK_EQ eax, 0xFFFFF000, 10, "BAR0 sizes as 4 KiB of 32-bit memory"
    mov eax, [dev]
    add eax, 0x10
    mov edx, [bar0]
    call cfg_write
    mov eax, [dev]
    add eax, 0x14
    mov edx, 0xFFFFFFFF
    call cfg_write
    call cfg_read
    CHECK_EQ eax, 0xFFFFFF01, 11, "BAR1 sizes as 256 I/O ports"
    mov eax, [dev]
    add eax, 0x14
    mov edx, [bar1]
    call cfg_write
    call cfg_read
    and eax, 0xFFFFFFFC
    CHECK_EQ eax, [bar1], 12, "BAR1 holds its address again"
    OK "BAR sizing: all ones read back as the size mask"

    ; ---- (c) the protocol on each BAR
    mov esi, [bar0]
    mov byte [io_mode], 0
    call run_all
    CHECK_EQ eax, 3, 20, "three tests on the memory BAR"
    mov esi, [bar1]
    mov byte [io_mode], 1
    call run_all
    CHECK_EQ eax, 3, 21, "three tests on the I/O BAR"
    OK "test protocol: 3 tests on each BAR, every write counted"

    ; ---- (d) moving the BARs
    mov eax, [dev]
    add eax, 0x14
    mov edx, NEW_IO
    call cfg_write
    mov eax, [dev]
    add eax, 0x10
    mov edx, NEW_MEM
    call cfg_write
    mov esi, NEW_IO
    mov byte [io_mode], 1
    call run_all
    CHECK_EQ eax, 3, 30, "the tests at I/O port 0xD000"
    mov esi, NEW_MEM
    mov byte [io_mode], 0
    call run_all
    CHECK_EQ eax, 3, 31, "the tests at memory 0xE0001000"
    OK "BARs moved to port 0xD000 and address 0xE0001000 answer there"

    ; ---- (e) memory decoding off
    mov esi, NEW_MEM
    mov byte [esi + HDR_TEST], 0            ; test 0 on the memory BAR
    mov ebx, [esi + HDR_OFFSET]
    mov eax, [dev]
    add eax, 0x04
    call cfg_read
    mov [command], eax
    mov edx, eax
    and edx, 0xFFFF & ~2
    mov eax, [dev]
    add eax, 0x04
    call cfg_write
    mov ecx, WRITES
.lost:
    mov byte [esi + ebx], 0xFA
    loop .lost
    mov eax, [dev]
    add eax, 0x04
    mov edx, [command]
    and edx, 0xFFFF
    call cfg_write
    CHECK_EQ [esi + HDR_COUNT], 0, 40, "writes while memory decoding is off reach nothing"
    OK "memory decoding off: the BAR's writes are lost"
    ret

; cfg_read: EAX = CONFIG_ADDRESS value -> EAX = dword (EDX clobbered)
cfg_read:
    mov dx, CONFIG_ADDRESS
    out dx, eax
    mov dx, CONFIG_DATA
    in eax, dx
    ret

; cfg_write: EAX = CONFIG_ADDRESS value, EDX = dword (EAX kept)
cfg_write:
    push edx
    mov dx, CONFIG_ADDRESS
    out dx, eax
    pop edx
    push eax
    mov eax, edx
    mov dx, CONFIG_DATA
    out dx, eax
    pop eax
    ret

; hdr_read8/32: ESI = BAR base, EBX = offset -> EAX (through memory or ports per [io_mode])
hdr_read8:
    cmp byte [io_mode], 0
    jne .io
    movzx eax, byte [esi + ebx]
    ret
.io:
    push edx
    lea edx, [esi + ebx]
    in al, dx
    movzx eax, al
    pop edx
    ret

hdr_read32:
    cmp byte [io_mode], 0
    jne .io
    mov eax, [esi + ebx]
    ret
.io:
    push edx
    lea edx, [esi + ebx]
    in eax, dx
    pop edx
    ret

; hdr_write: ESI = BAR base, EBX = offset, EAX = value, CL = width (1, 2 or 4)
hdr_write:
    push edx
    cmp byte [io_mode], 0
    jne .io
    cmp cl, 1
    jne .m2
    mov [esi + ebx], al
    jmp .done
.m2:
    cmp cl, 2
    jne .m4
    mov [esi + ebx], ax
    jmp .done
.m4:
    mov [esi + ebx], eax
    jmp .done
.io:
    lea edx, [esi + ebx]
    cmp cl, 1
    jne .i2
    out dx, al
    jmp .done
.i2:
    cmp cl, 2
    jne .i4
    out dx, ax
    jmp .done
.i4:
    out dx, eax
.done:
    pop edx
    ret

; run_all: ESI = BAR base, [io_mode] -> EAX = number of tests that passed before the first
; that does not exist; a test that fails its count ends the program
run_all:
    push edi
    xor edi, edi                            ; test number
.next:
    mov eax, edi
    xor ebx, ebx
    mov cl, 1
    call hdr_write                          ; select test EDI
    mov ebx, HDR_COUNT
    call hdr_read32
    test eax, eax
    jnz .end                                ; a count before any write: no such test
    mov ebx, HDR_WIDTH
    call hdr_read8
    cmp al, 1
    je .width_ok
    cmp al, 2
    je .width_ok
    cmp al, 4
    jne .end
.width_ok:
    mov [width], al
    mov ebx, HDR_DATA
    call hdr_read32
    mov [data], eax
    mov ebx, HDR_OFFSET
    call hdr_read32
    mov [offset], eax
    mov edx, WRITES
.write:
    mov eax, [data]
    mov ebx, [offset]
    mov cl, [width]
    call hdr_write
    dec edx
    jnz .write
    mov ebx, HDR_COUNT
    call hdr_read32
    test eax, eax
    jz .counted                             ; QEMU gave the test to an eventfd
    CHECK_EQ eax, WRITES, 50, "the test counts every write"
.counted:
    test edi, edi
    jnz .named
    mov ebx, HDR_COUNT
    call hdr_read32
    CHECK_EQ eax, WRITES, 51, "test 0 (no eventfd) counts every write"
.named:
    PRINT "  test "
    mov eax, edi
    call lib_putdec
    PRINT ": "
    mov ebx, HDR_NAME
.name:
    call hdr_read8
    test al, al
    jz .name_done
    call lib_putc
    inc ebx
    cmp ebx, 64
    jb .name
.name_done:
    PRINT 10
    inc edi
    cmp edi, 16
    jb .next
.end:
    mov eax, edi
    pop edi
    ret

section .data
dev:     dd 0
bar0:    dd 0
bar1:    dd 0
command: dd 0
data:    dd 0
offset:  dd 0
width:   db 0
io_mode: db 0
