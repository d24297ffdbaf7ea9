; A console guest for the front-end tests (ConsoleProcessTest): a multiboot kernel that
; talks on COM1 by polling the 16550. It prints "echo ready", then answers each typed line
; with "got: LINE"; the line "reboot" resets the machine through port 0xCF9 (the VM boots
; again and prints "echo ready" anew), "poweroff" enters ACPI S5 through PM1a_CNT, and
; "quit" ends the VM through the debug-exit port with 0 (status 1).
bits 32

COM1      equ 0x3f8
LSR       equ COM1 + 5
LSR_DR    equ 0x01                      ; a received byte is waiting
LSR_THRE  equ 0x20                      ; the transmitter can take a byte

section .text
global _start
    dd 0x1BADB002                       ; multiboot magic, in the first 8 KiB of the file
    dd 0                                ; flags: no requirements
    dd -0x1BADB002                      ; checksum
_start:
    mov esp, stack_top
    mov esi, msg_ready
    call puts
.line:
    xor ebx, ebx                        ; length of the line so far
.char:
    call getc
    cmp al, 13
    je .end
    cmp al, 10
    je .end
    cmp ebx, 126
    jae .char                           ; overlong lines are cut
    mov [buf + ebx], al
    inc ebx
    jmp .char
.end:
    test ebx, ebx
    jz .line                            ; CR LF pairs and empty lines
    mov byte [buf + ebx], 0
    mov esi, buf
    mov edi, word_reboot
    call streq
    je .reboot
    mov esi, buf
    mov edi, word_quit
    call streq
    je .quit
    mov esi, buf
    mov edi, word_poweroff
    call streq
    je .poweroff
    mov esi, msg_got
    call puts
    mov esi, buf
    call puts
    mov esi, msg_nl
    call puts
    jmp .line
.reboot:
    mov dx, 0xcf9
    mov al, 0x06                        ; RCPU | SYS_RST: a hard reset
    out dx, al
    jmp $
.poweroff:
    mov dx, 0x604                       ; PM1a_CNT
    mov ax, (5 << 10) | (1 << 13)       ; SLP_TYP = 5 (S5, as the DSDT's \_S5), SLP_EN
    out dx, ax
    jmp $
.quit:
    xor eax, eax
    out 0xf4, al
    cli
    hlt

; getc: AL = the next byte from COM1 (polls the line status register)
getc:
    mov dx, LSR
.wait:
    in al, dx
    test al, LSR_DR
    jz .wait
    mov dx, COM1
    in al, dx
    ret

; puts: the NUL-terminated string at ESI to COM1
puts:
    lodsb
    test al, al
    jz .done
    mov ah, al
    mov dx, LSR
.wait:
    in al, dx
    test al, LSR_THRE
    jz .wait
    mov al, ah
    mov dx, COM1
    out dx, al
    jmp puts
.done:
    ret

; streq: ZF set if the strings at ESI and EDI are equal
streq:
    mov al, [esi]
    cmp al, [edi]
    jne .out
    test al, al
    jz .out
    inc esi
    inc edi
    jmp streq
.out:
    ret

section .data
msg_ready:   db "echo ready", 10, 0
msg_got:     db "got: ", 0
msg_nl:      db 10, 0
word_reboot: db "reboot", 0
word_quit:   db "quit", 0
word_poweroff: db "poweroff", 0

section .bss
buf:  resb 128
align 16
      resb 4096
stack_top:
