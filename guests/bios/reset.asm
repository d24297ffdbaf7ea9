; reset.asm - a 64 KiB ROM image for `jvisor run --bios`: starts at the reset vector
; F000:FFF0 in real mode, checks a few things a BIOS relies on and reports through the
; debug console (port 0xE9) and the debug-exit port (0xF4: 0 = PASS, exit status 1).
;   nasm -f bin reset.asm -o reset.bin
bits 16
org 0

start:
    cli
    xor ax, ax
    mov ss, ax
    mov sp, 0x7c00
    mov ds, ax
    push cs
    pop es                          ; ES = F000 (the ROM)
    mov si, msg_hello
    call print

    ; RAM below 640 KiB works
    mov word [0x500], 0x1234
    cmp word [0x500], 0x1234
    jne fail

    ; the ROM ignores writes
    mov al, [es:signature]
    not byte [es:signature]
    cmp al, [es:signature]
    jne fail

    ; the same ROM is visible at the top of the 4 GiB space: read it through a 4 GiB segment
    ; set up in protected mode, then come back to real mode
    lgdt [cs:gdt_ptr]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp 0x08:pm_entry                ; 16-bit code segment with base F0000
pm_entry:
    mov ax, 0x10
    mov fs, ax                       ; flat 4 GiB data segment
    mov eax, cr0
    and al, 0xfe
    mov cr0, eax
    jmp 0xf000:rm_back
rm_back:
    mov ebx, 0xffff0000 + signature  ; linear address of the signature in the high copy
    mov al, [fs:ebx]                 ; FS keeps its 4 GiB limit in real mode ("unreal mode")
    cmp al, [es:signature]
    jne fail

    mov si, msg_ok
    call print
    mov al, 0
    out 0xf4, al
    hlt

fail:
    mov si, msg_fail
    call print
    mov al, 1
    out 0xf4, al
    hlt

print:                              ; ES:SI -> debug console
    mov al, [es:si]
    test al, al
    jz .done
    out 0xe9, al
    inc si
    jmp print
.done:
    ret

signature: db 0x5a
msg_hello: db "reset vector reached, real mode", 10, 0
msg_ok:    db "BIOS boot: PASS", 10, 0
msg_fail:  db "BIOS boot: FAIL", 10, 0

align 8
gdt:
    dq 0
    dq 0x000f9b0f0000ffff           ; 16-bit code, base F0000, limit 64 KiB
    dq 0x00cf93000000ffff           ; 32-bit data, flat 4 GiB
gdt_ptr:
    dw gdt_ptr - gdt - 1
    dd 0xf0000 + gdt

    times 0xfff0 - ($ - $$) db 0xff
reset_vector:
    jmp 0xf000:start
    times 0x10000 - ($ - $$) db 0xff
