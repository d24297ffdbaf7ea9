; A guest for the gdb stub test (GdbStubTest): a multiboot kernel that calls tick() five
; times, each adding one to counter, then ends the VM through the debug-exit port with the
; count (exit status (5 << 1) | 1 = 11). Linked at 1 MiB with symbols, so that gdb can break
; at tick and read counter.
bits 32

section .text
global _start, tick, counter
    dd 0x1BADB002                       ; multiboot magic, in the first 8 KiB of the file
    dd 0                                ; flags: no requirements
    dd -0x1BADB002                      ; checksum
_start:
    mov esp, stack_top
    mov ecx, 5
.again:
    call tick
    loop .again
    mov eax, [counter]
    out 0xf4, al                        ; isa-debug-exit: status (counter << 1) | 1
    cli
    hlt

tick:
    inc dword [counter]
    ret

section .data
align 4
counter: dd 0

section .bss
align 16
    resb 4096
stack_top:
