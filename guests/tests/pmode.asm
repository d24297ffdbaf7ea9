; pmode: GDT reload, far jump, segment reload, protected -> real -> protected mode.
;
; 1. loads a private GDT whose code and data selectors are swapped relative to lib's
;    (data 0x08, code 0x10), far-jumps into it and reloads every segment register;
; 2. copies a 16-bit blob to 0x8000, enters it through a 16-bit code segment, clears CR0.PE
;    and far-jumps to real mode;
; 3. in real mode checks CR0/MSW, segment arithmetic (one linear address through three
;    segment:offset pairs), the stack through SS, a far call through a different CS:IP
;    alias of the same code, a real-mode interrupt through the IVT, and 32-bit addressing
;    with operand/address-size prefixes;
; 4. sets PE again, far-jumps to 32-bit code and checks that state survived the round trip.

%define TEST_NAME "pmode"
%include "lib.inc"

RM_BASE     equ 0x8000                  ; where the real-mode blob runs (segment 0x0800)
RM_SEG      equ RM_BASE >> 4
PM_DATA     equ 0x08                    ; private GDT: data first ...
PM_CODE     equ 0x10                    ; ... then code
PM_CODE16   equ 0x18                    ; 16-bit code, base RM_BASE
PM_DATA16   equ 0x20                    ; 16-bit data, base 0, limit 64 KiB

%define RMOFF(x) ((x) - rm_blob)

section .text
test_main:
    ; ---- 1. private GDT, far jump, segment reload
    lgdt [pm_gdt_desc]
    jmp PM_CODE:.new_cs
.new_cs:
    mov ax, PM_DATA
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov eax, cs
    movzx eax, ax
    CHECK_EQ eax, PM_CODE, 1, "CS after far jump into the private GDT"
    mov eax, ds
    movzx eax, ax
    CHECK_EQ eax, PM_DATA, 2, "DS after reload"
    mov eax, ss
    movzx eax, ax
    CHECK_EQ eax, PM_DATA, 2, "SS after reload"
    sgdt [pm_sgdt]
    movzx eax, word [pm_sgdt]
    CHECK_EQ eax, pm_gdt_end - pm_gdt - 1, 3, "SGDT limit"
    CHECK_EQ [pm_sgdt + 2], pm_gdt, 3, "SGDT base"
    mov dword [pm_probe], 0x5A5A1234
    CHECK_EQ [pm_probe], 0x5A5A1234, 4, "memory through the reloaded DS"
    OK "private GDT loaded, far jump and segment reload"

    ; ---- 2. to real mode
    mov esi, rm_blob
    mov edi, RM_BASE
    mov ecx, rm_blob_end - rm_blob
    rep movsb
    mov [pm_saved_esp], esp
    mov word [RM_BASE + RMOFF(rm_result)], 0xFFFF
    jmp PM_CODE16:0                         ; = rm_blob, 16-bit protected mode

pm_back:                                    ; protected mode again, via the 32-bit far jump
    mov ax, PM_DATA
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, [pm_saved_esp]
    lidt [lib_idt_desc]
    mov eax, cr0
    and eax, CR0_PE
    CHECK_EQ eax, CR0_PE, 20, "CR0.PE after returning to protected mode"
    movzx eax, word [RM_BASE + RMOFF(rm_result)]
    CHECK_EQ eax, 0, 21, "real-mode part did not complete"
    mov eax, cs
    movzx eax, ax
    CHECK_EQ eax, PM_CODE, 22, "CS after the far jump back"
    CHECK_EQ [pm_probe], 0x5A5A1234, 23, "memory above 1 MiB after the round trip"
    ; the real-mode code wrote 0xCAFEBABE at linear 0x12340 and patched its high word
    CHECK_EQ [0x12340], 0x1111BABE, 24, "real-mode stores seen at their linear address"
    OK "back in 32-bit protected mode"

    ; back to lib's GDT for the PASS path
    lgdt [lib_gdt_desc]
    jmp SEL_CODE0:.lib_cs
.lib_cs:
    mov ax, SEL_DATA0
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    ret

; -------------------------------------------------------------------------------------
; The real-mode blob: position independent (offsets relative to rm_blob), runs at RM_BASE.

%macro RM_FAIL 2
    mov si, RMOFF(%%m)
    mov al, %1
    jmp rm_fail
%%m: db %2, 0
%endmacro

%macro RM_PRINT 1+
    push si
    mov si, RMOFF(%%m)
    call rm_puts
    pop si
    jmp %%after
%%m: db %1, 0
%%after:
%endmacro

bits 16
rm_blob:
    ; 16-bit protected mode, CS base RM_BASE: load 64 KiB data segments, then clear PE
    mov ax, PM_DATA16
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov eax, cr0
    and eax, ~CR0_PE
    mov cr0, eax
    jmp RM_SEG:RMOFF(rm_real)

rm_real:
    mov ax, RM_SEG
    mov ds, ax
    xor ax, ax
    mov ss, ax
    mov sp, 0x7000
    lidt [RMOFF(rm_idtr)]
    RM_PRINT "  ok: in real mode", 10

    ; CR0.PE and MSW
    mov eax, cr0
    test al, CR0_PE
    jz .pe_ok
    RM_FAIL 10, "CR0.PE still set in real mode"
.pe_ok:
    smsw ax
    test al, CR0_PE
    jz .msw_ok
    RM_FAIL 10, "SMSW shows PE in real mode"
.msw_ok:
    mov ax, cs
    cmp ax, RM_SEG
    je .cs_ok
    RM_FAIL 11, "CS is not the real-mode segment after the far jump"
.cs_ok:

    ; segment arithmetic: linear 0x12340 = 1234:0000 = 1000:2340 = 1200:0340
    mov ax, 0x1234
    mov es, ax
    mov dword [es:0], 0xCAFEBABE
    mov ax, 0x1000
    mov fs, ax
    cmp dword [fs:0x2340], 0xCAFEBABE
    je .alias1
    RM_FAIL 12, "1000:2340 does not alias 1234:0000"
.alias1:
    mov ax, 0x1200
    mov gs, ax
    mov word [gs:0x0342], 0x1111
    cmp dword [es:0], 0x1111BABE
    je .alias2
    RM_FAIL 12, "1200:0342 does not alias 1234:0002"
.alias2:
    RM_PRINT "  ok: segment arithmetic", 10

    ; the stack through SS: 0600:1000 is linear 0x7000
    mov ax, 0x0600
    mov ss, ax
    mov sp, 0x1000
    push word 0x4321
    xor ax, ax
    mov es, ax
    cmp word [es:0x6FFE], 0x4321
    je .stack1
    RM_FAIL 13, "push through SS=0600 did not land at linear 0x6ffe"
.stack1:
    pop bx
    cmp bx, 0x4321
    je .stack2
    RM_FAIL 13, "pop returned the wrong value"
.stack2:
    cmp sp, 0x1000
    je .stack3
    RM_FAIL 13, "SP not restored after push/pop"
.stack3:

    ; far call to the same code through another segment: 07F0:(off+0x100) = 0800:off
    call (RM_SEG - 0x10):(RMOFF(rm_farfunc) + 0x100)
    cmp ax, RM_SEG - 0x10
    je .far1
    RM_FAIL 14, "far call: CS inside the callee is not 07f0"
.far1:
    mov ax, cs
    cmp ax, RM_SEG
    je .far2
    RM_FAIL 14, "far return did not restore CS"
.far2:
    RM_PRINT "  ok: stack and far call/return", 10

    ; real-mode interrupt through the IVT: vector 0x60 -> RM_SEG:rm_int60
    xor ax, ax
    mov es, ax
    mov word [es:0x60 * 4], RMOFF(rm_int60)
    mov word [es:0x60 * 4 + 2], RM_SEG
    mov bx, 0
    pushf
    pop dx
    or dx, EFL_IF                   ; IF set in the image the handler must restore
    push dx
    popf                            ; (PICs are masked: no interrupt can arrive)
    int 0x60
.after_int:
    cmp bx, 0x6060
    je .int1
    RM_FAIL 15, "int 0x60 handler did not run"
.int1:
    cmp cx, RMOFF(.after_int)
    je .int2
    RM_FAIL 15, "int 0x60 pushed the wrong return IP"
.int2:
    cmp di, RM_SEG
    je .int3
    RM_FAIL 15, "int 0x60 pushed the wrong return CS"
.int3:
    test si, EFL_IF
    jz .int4
    RM_FAIL 15, "IF not cleared inside the interrupt handler"
.int4:
    pushf
    pop dx
    test dx, EFL_IF
    jnz .int5
    RM_FAIL 15, "iret did not restore IF"
.int5:
    cli
    RM_PRINT "  ok: real-mode interrupt through the IVT", 10

    ; 32-bit operand and address size in real mode
    xor ax, ax
    mov es, ax
    mov ebx, 0x5000
    mov ecx, 0x10
    mov dword [es:ebx + ecx * 4], 0x89ABCDEF        ; linear 0x5040
    mov eax, [es:0x5040]
    cmp eax, 0x89ABCDEF
    je .a32
    RM_FAIL 16, "32-bit addressing [ebx+ecx*4] in real mode"
.a32:
    mov eax, 0x80000000
    add eax, eax                    ; CF=1, ZF=1 with 32-bit operands
    jc .o32
    RM_FAIL 16, "32-bit arithmetic in real mode"
.o32:
    RM_PRINT "  ok: 32-bit operands and addressing in real mode", 10

    mov word [RMOFF(rm_result)], 0
    ; ---- back to protected mode
    cli
    mov eax, cr0
    or eax, CR0_PE
    mov cr0, eax
    jmp dword PM_CODE:pm_back

rm_farfunc:
    mov ax, cs
    retf

rm_int60:
    mov bx, 0x6060
    pushf
    pop si                          ; flags inside the handler
    mov bp, sp
    mov cx, [ss:bp]                 ; return IP
    mov di, [ss:bp + 2]             ; return CS
    iret

; SI = message (offset in the blob), AL = exit code
rm_fail:
    push ax
    mov ax, RM_SEG
    mov ds, ax
    push si
    mov si, RMOFF(rm_fail_prefix)
    call rm_puts
    pop si
    call rm_puts
    mov al, 10
    out PORT_DEBUGCON, al
    pop ax
    out PORT_EXIT, al
.hang:
    hlt
    jmp .hang

rm_puts:
    push ax
    push si
.next:
    lodsb
    test al, al
    jz .done
    out PORT_DEBUGCON, al
    jmp .next
.done:
    pop si
    pop ax
    ret

rm_fail_prefix: db "FAIL: pmode (real mode): ", 0
align 4
rm_result: dw 0
rm_idtr:   dw 0x3FF
           dd 0
rm_blob_end:
bits 32

; -------------------------------------------------------------------------------------
section .data
align 8
pm_gdt:
    dq 0                            ; null
    dq 0x00CF92000000FFFF           ; 0x08 data, flat
    dq 0x00CF9A000000FFFF           ; 0x10 code, flat
    dq 0x00009A008000FFFF           ; 0x18 16-bit code, base 0x8000, limit 0xffff
    dq 0x000092000000FFFF           ; 0x20 16-bit data, base 0, limit 0xffff
pm_gdt_end:
align 4
    dw 0
pm_gdt_desc:
    dw pm_gdt_end - pm_gdt - 1
    dd pm_gdt
align 4
pm_sgdt:        times 8 db 0
pm_probe:       dd 0
pm_saved_esp:   dd 0
