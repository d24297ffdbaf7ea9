package io.jvisor.engine;

import static io.jvisor.engine.Op.*;

/**
 * The opcode map as data (SDM Vol. 2 Appendix A): for each one-byte opcode and each 0F xx
 * opcode, the execution id, sub-operation, operand forms ({@link Operand}: destination and
 * up to two sources), operand size (byte or the operand-size attribute) and immediate;
 * groups select by ModRM.reg and add their member's fields to the group row's. The decoder
 * and the block builder read only this table.
 */
final class OpcodeTable {
    private OpcodeTable() { }

    // entry layout: op in bits 0-7, sub-operation in 8-15, flags 16-27, operand forms 32-43
    static final long MODRM = 1L << 16, BYTE = 1L << 17, GROUP = 1L << 22, LOCKABLE = 1L << 23, MEM_ONLY = 1L << 24,
            END = 1L << 25, FORCE_REG = 1L << 26,
    /** The register operand is the opcode's low three bits (SDM "+rb/+rw/+rd"), not ModRM.reg. */
            REG_IN_OPCODE = 1L << 27,
    /** Only the register form (ModRM.mod = 3) exists; the memory form is #UD (here). */
            REG_ONLY = 1L << 28,
    /** A group whose memory forms (ModRM.mod != 3) are other instructions: the next group row. */
            SPLIT_GROUP = 1L << 29;
    static final int IMM_SHIFT = 18, DST_SHIFT = 32, SRC_SHIFT = 36, SRC2_SHIFT = 40;
    /**
     * Immediate forms: none, byte, sign-extended byte, word, operand size sign-extended to 32
     * bits (Iz), memory offset of address size (moffs), far pointer, word then byte (ENTER),
     * operand size zero-extended (Iv, as MOV r16, imm16 reads it).
     */
    static final int I_NONE = 0, I_B = 1, I_BS = 2, I_W = 3, I_Z = 4, I_MOFFS = 5, I_PTR = 6, I_WB = 7, I_V = 8;
    static final long IB = (long) I_B << IMM_SHIFT, IBS = (long) I_BS << IMM_SHIFT, IW = (long) I_W << IMM_SHIFT,
            IZ = (long) I_Z << IMM_SHIFT, MOFFS = (long) I_MOFFS << IMM_SHIFT, PTR = (long) I_PTR << IMM_SHIFT,
            IWB = (long) I_WB << IMM_SHIFT, IV = (long) I_V << IMM_SHIFT;

    /** Operand forms: destination, source, second source. */
    static long forms(int dst, int src, int src2) {
        return (long) dst << DST_SHIFT | (long) src << SRC_SHIFT | (long) src2 << SRC2_SHIFT;
    }

    static long forms(int dst, int src) {
        return forms(dst, src, Operand.NONE);
    }

    // the common forms, in the SDM's letters (A: the accumulator)
    static final long E_G = forms(Operand.E, Operand.G), G_E = forms(Operand.G, Operand.E),
            E_I = forms(Operand.E, Operand.IMM), A_I = forms(Operand.ACC, Operand.IMM),
            G_I = forms(Operand.G, Operand.IMM), DST_E = forms(Operand.E, Operand.NONE),
            DST_G = forms(Operand.G, Operand.NONE), SRC_E = forms(Operand.NONE, Operand.E),
            SRC_G = forms(Operand.NONE, Operand.G), SRC_I = forms(Operand.NONE, Operand.IMM),
            SRC_J = forms(Operand.NONE, Operand.REL);

    static int op(long e) {
        return (int) e & 0xff;
    }

    static int sub(long e) {
        return (int) (e >>> 8) & 0xff;
    }

    static int imm(long e) {
        return (int) (e >>> IMM_SHIFT) & 0xf;
    }

    static int dst(long e) {
        return (int) (e >>> DST_SHIFT) & 0xf;
    }

    static int src(long e) {
        return (int) (e >>> SRC_SHIFT) & 0xf;
    }

    static int src2(long e) {
        return (int) (e >>> SRC2_SHIFT) & 0xf;
    }

    /** 512 entries: one-byte opcodes, then 0F xx. */
    static final long[] MAP = new long[512];
    /** Group tables: [group][reg]. */
    static final long[][] GROUPS = new long[32][8];
    private static int groupCount;

    private static long e(int op, int sub, long flags) {
        return op | (long) sub << 8 | flags;
    }

    private static void set(int opcode, int op, int sub, long flags) {
        MAP[opcode] = e(op, sub, flags);
    }

    private static void group(int opcode, long flags, long... entries) {
        int g = groupCount++;
        System.arraycopy(entries, 0, GROUPS[g], 0, 8);
        MAP[opcode] = e(0, g, flags | GROUP | MODRM);
    }

    /** A group with different members for register and memory operands (SDM table A-6, "mod = 11B"). */
    private static void splitGroup(int opcode, long[] registerForms, long[] memoryForms) {
        int g = groupCount;
        groupCount += 2;
        System.arraycopy(registerForms, 0, GROUPS[g], 0, 8);
        System.arraycopy(memoryForms, 0, GROUPS[g + 1], 0, 8);
        MAP[opcode] = e(0, g, GROUP | SPLIT_GROUP | MODRM);
    }

    static {
        java.util.Arrays.fill(MAP, e(UD, 0, END));
        long ud = e(UD, 0, END);
        // 00-3F: the eight ALU operations in six forms; the gaps hold segment pushes/pops and BCD
        for (int a = 0; a < 8; a++) {
            int b = a << 3;
            long lk = a == 7 ? 0 : LOCKABLE;   // CMP writes nothing: LOCK CMP is #UD
            set(b, ALU, a, MODRM | BYTE | lk | E_G);
            set(b + 1, ALU, a, MODRM | lk | E_G);
            set(b + 2, ALU, a, MODRM | BYTE | G_E);
            set(b + 3, ALU, a, MODRM | G_E);
            set(b + 4, ALU, a, BYTE | IB | A_I);
            set(b + 5, ALU, a, IZ | A_I);
        }
        set(0x06, PUSH_SEG, 0, 0);
        set(0x07, POP_SEG, 0, END);
        set(0x0e, PUSH_SEG, 1, 0);
        set(0x16, PUSH_SEG, 2, 0);
        set(0x17, POP_SEG, 2, END);
        set(0x1e, PUSH_SEG, 3, 0);
        set(0x1f, POP_SEG, 3, END);
        set(0x27, DAA, 0, 0);
        set(0x2f, DAS, 0, 0);
        set(0x37, AAA, 0, 0);
        set(0x3f, AAS, 0, 0);
        for (int r = 0; r < 8; r++) {
            set(0x40 + r, INC, 0, REG_IN_OPCODE | DST_G);
            set(0x48 + r, DEC, 0, REG_IN_OPCODE | DST_G);
            set(0x50 + r, PUSH, 0, REG_IN_OPCODE | SRC_G);
            set(0x58 + r, POP, 0, REG_IN_OPCODE | DST_G);
            set(0x90 + r, r == 0 ? NOP : XCHG, 0, REG_IN_OPCODE | forms(Operand.ACC, Operand.G));
            set(0xb0 + r, MOV, 0, BYTE | IB | REG_IN_OPCODE | G_I);
            set(0xb8 + r, MOV, 0, IV | REG_IN_OPCODE | G_I);
        }
        set(0x60, PUSHA, 0, 0);
        set(0x61, POPA, 0, 0);
        set(0x62, BOUND, 0, MODRM | MEM_ONLY);
        set(0x63, ARPL, 0, MODRM);
        set(0x68, PUSH, 0, IZ | SRC_I);
        set(0x69, IMUL2, 0, MODRM | IZ | forms(Operand.G, Operand.E, Operand.IMM));
        set(0x6a, PUSH, 0, IBS | SRC_I);
        set(0x6b, IMUL2, 0, MODRM | IBS | forms(Operand.G, Operand.E, Operand.IMM));
        set(0x6c, INS, 0, BYTE | END);
        set(0x6d, INS, 0, END);
        set(0x6e, OUTS, 0, BYTE | END);
        set(0x6f, OUTS, 0, END);
        for (int cc = 0; cc < 16; cc++) {
            set(0x70 + cc, JCC, cc, IBS | END | SRC_J);
            set(0x180 + cc, JCC, cc, IZ | END | SRC_J);
            set(0x140 + cc, CMOV, cc, MODRM | G_E);
            set(0x190 + cc, SETCC, cc, MODRM | BYTE | DST_E);
        }
        long[] aluImm = new long[8];
        for (int a = 0; a < 8; a++) {
            aluImm[a] = e(ALU, a, a == 7 ? 0 : LOCKABLE);
        }
        group(0x80, BYTE | IB | E_I, aluImm);
        group(0x81, IZ | E_I, aluImm);
        MAP[0x82] = MAP[0x80];
        group(0x83, IBS | E_I, aluImm);
        set(0x84, TEST, 0, MODRM | BYTE | E_G);
        set(0x85, TEST, 0, MODRM | E_G);
        set(0x86, XCHG, 0, MODRM | BYTE | LOCKABLE | E_G);
        set(0x87, XCHG, 0, MODRM | LOCKABLE | E_G);
        set(0x88, MOV, 0, MODRM | BYTE | E_G);
        set(0x89, MOV, 0, MODRM | E_G);
        set(0x8a, MOV, 0, MODRM | BYTE | G_E);
        set(0x8b, MOV, 0, MODRM | G_E);
        set(0x8c, MOV_E_SREG, 0, MODRM);
        set(0x8d, LEA, 0, MODRM | MEM_ONLY);
        set(0x8e, MOV_SREG_E, 0, MODRM | END);
        group(0x8f, DST_E, e(POP, 0, 0), ud, ud, ud, ud, ud, ud, ud);
        set(0x98, CBW, 0, 0);
        set(0x99, CWD, 0, 0);
        set(0x9a, CALLF, 0, PTR | END | SRC_I);
        set(0x9b, WAIT, 0, 0);
        set(0x9c, PUSHF, 0, 0);
        set(0x9d, POPF, 0, END);
        set(0x9e, SAHF, 0, 0);
        set(0x9f, LAHF, 0, 0);
        set(0xa0, MOV, 0, BYTE | MOFFS | forms(Operand.ACC, Operand.E));
        set(0xa1, MOV, 0, MOFFS | forms(Operand.ACC, Operand.E));
        set(0xa2, MOV, 0, BYTE | MOFFS | forms(Operand.E, Operand.ACC));
        set(0xa3, MOV, 0, MOFFS | forms(Operand.E, Operand.ACC));
        set(0xa4, MOVS, 0, BYTE);
        set(0xa5, MOVS, 0, 0);
        set(0xa6, CMPS, 0, BYTE);
        set(0xa7, CMPS, 0, 0);
        set(0xa8, TEST, 0, BYTE | IB | A_I);
        set(0xa9, TEST, 0, IZ | A_I);
        set(0xaa, STOS, 0, BYTE);
        set(0xab, STOS, 0, 0);
        set(0xac, LODS, 0, BYTE);
        set(0xad, LODS, 0, 0);
        set(0xae, SCAS, 0, BYTE);
        set(0xaf, SCAS, 0, 0);
        long[] shifts = new long[8];
        for (int k = 0; k < 8; k++) {
            shifts[k] = e(SHIFT, k, 0);
        }
        // the source is the count: an immediate, one, or CL
        group(0xc0, BYTE | IB | E_I, shifts);
        group(0xc1, IB | E_I, shifts);
        group(0xd0, BYTE | forms(Operand.E, Operand.ONE), shifts);
        group(0xd1, forms(Operand.E, Operand.ONE), shifts);
        group(0xd2, BYTE | forms(Operand.E, Operand.CL), shifts);
        group(0xd3, forms(Operand.E, Operand.CL), shifts);
        set(0xc2, RET, 0, IW | END | SRC_I);
        set(0xc3, RET, 0, END);
        set(0xc4, LXS, 0, MODRM | MEM_ONLY);
        set(0xc5, LXS, 3, MODRM | MEM_ONLY);
        group(0xc6, BYTE | IB | E_I, e(MOV, 0, 0), ud, ud, ud, ud, ud, ud, ud);
        group(0xc7, IZ | E_I, e(MOV, 0, 0), ud, ud, ud, ud, ud, ud, ud);
        set(0xc8, ENTER, 0, IWB);
        set(0xc9, LEAVE, 0, 0);
        set(0xca, RETF, 0, IW | END | SRC_I);
        set(0xcb, RETF, 0, END);
        set(0xcc, INT3, 0, END);
        set(0xcd, INT_I, 0, IB | END);
        set(0xce, INTO, 0, END);
        set(0xcf, IRET, 0, END);
        set(0xd4, AAM, 0, IB);
        set(0xd5, AAD, 0, IB);
        set(0xd6, SALC, 0, 0);
        set(0xd7, XLAT, 0, 0);
        for (int k = 0; k < 8; k++) {
            set(0xd8 + k, ESC, k, MODRM);
        }
        set(0xe0, LOOP, io.jvisor.cpu.Branch.LOOPNZ, IBS | END | SRC_J);
        set(0xe1, LOOP, io.jvisor.cpu.Branch.LOOPZ, IBS | END | SRC_J);
        set(0xe2, LOOP, io.jvisor.cpu.Branch.LOOP, IBS | END | SRC_J);
        set(0xe3, JCXZ, 0, IBS | END | SRC_J);
        long portImm = forms(Operand.ACC, Operand.IMM), portDx = forms(Operand.ACC, Operand.DX);
        long toImm = forms(Operand.IMM, Operand.ACC), toDx = forms(Operand.DX, Operand.ACC);
        set(0xe4, IN, 0, BYTE | IB | END | portImm);
        set(0xe5, IN, 0, IB | END | portImm);
        set(0xe6, OUT, 0, BYTE | IB | END | toImm);
        set(0xe7, OUT, 0, IB | END | toImm);
        set(0xe8, CALL, 0, IZ | END | SRC_J);
        set(0xe9, JMP, 0, IZ | END | SRC_J);
        set(0xea, JMPF, 0, PTR | END | SRC_I);
        set(0xeb, JMP, 0, IBS | END | SRC_J);
        set(0xec, IN, 0, BYTE | END | portDx);
        set(0xed, IN, 0, END | portDx);
        set(0xee, OUT, 0, BYTE | END | toDx);
        set(0xef, OUT, 0, END | toDx);
        set(0xf1, INT_I, 1, END);   // INT1 / ICEBP: vector 1 as a trap
        set(0xf4, HLT, 0, END);
        set(0xf5, CMC, 0, 0);
        group(0xf6, BYTE, e(TEST, 0, IB | E_I), e(TEST, 0, IB | E_I), e(NOT, 0, LOCKABLE | DST_E),
                e(NEG, 0, LOCKABLE | DST_E), e(MUL, 0, SRC_E), e(IMUL1, 0, SRC_E), e(DIV, 0, SRC_E), e(IDIV, 0, SRC_E));
        group(0xf7, 0, e(TEST, 0, IZ | E_I), e(TEST, 0, IZ | E_I), e(NOT, 0, LOCKABLE | DST_E),
                e(NEG, 0, LOCKABLE | DST_E), e(MUL, 0, SRC_E), e(IMUL1, 0, SRC_E), e(DIV, 0, SRC_E), e(IDIV, 0, SRC_E));
        set(0xf8, CLC, 0, 0);
        set(0xf9, STC, 0, 0);
        set(0xfa, CLI, 0, 0);
        set(0xfb, STI, 0, 0);   // the block goes on: the interrupt shadow covers the next instruction only
        set(0xfc, CLD, 0, 0);
        set(0xfd, STD, 0, 0);
        group(0xfe, BYTE, e(INC, 0, LOCKABLE | DST_E), e(DEC, 0, LOCKABLE | DST_E), ud, ud, ud, ud, ud, ud);
        group(0xff, 0, e(INC, 0, LOCKABLE | DST_E), e(DEC, 0, LOCKABLE | DST_E), e(CALL, 0, END | SRC_E),
                e(CALLF, 0, END | MEM_ONLY | SRC_E), e(JMP, 0, END | SRC_E), e(JMPF, 0, END | MEM_ONLY | SRC_E),
                e(PUSH, 0, SRC_E), ud);

        // ---- two-byte opcodes (0F xx)
        group(0x100, 0, e(SLDT, 0, 0), e(STR, 0, 0), e(LLDT, 0, END), e(LTR, 0, END), e(VERR, 0, 0),
                e(VERW, 0, 0), ud, ud);
        group(0x101, 0, e(SGDT, 0, MEM_ONLY), e(SIDT, 0, MEM_ONLY), e(LGDT, 0, MEM_ONLY | END),
                e(LIDT, 0, MEM_ONLY | END), e(SMSW, 0, 0), ud, e(LMSW, 0, END), e(INVLPG, 0, MEM_ONLY | END));
        set(0x102, LAR, 0, MODRM);
        set(0x103, LSL, 0, MODRM);
        set(0x106, CLTS, 0, END);
        set(0x108, INVD, 0, END);
        set(0x109, WBINVD, 0, END);
        set(0x10b, UD, 0, END);   // UD2
        for (int k = 0x118; k <= 0x11f; k++) {
            set(k, NOP_E, 0, MODRM);   // prefetch hints and multi-byte NOP (0F 1F /0)
        }
        set(0x120, MOV_R_CR, 0, MODRM | FORCE_REG | END);
        set(0x121, MOV_R_DR, 0, MODRM | FORCE_REG | END);
        set(0x122, MOV_CR_R, 0, MODRM | FORCE_REG | END);
        set(0x123, MOV_DR_R, 0, MODRM | FORCE_REG | END);
        set(0x130, WRMSR, 0, END);
        set(0x131, RDTSC, 0, 0);
        set(0x132, RDMSR, 0, 0);
        set(0x133, RDPMC, 0, 0);
        set(0x134, SYSENTER, 0, END);
        set(0x135, SYSEXIT, 0, END);
        set(0x1a0, PUSH_SEG, 4, 0);
        set(0x1a1, POP_SEG, 4, END);
        set(0x1a2, CPUID, 0, 0);
        // BT family: the bit number is a register (which may also move a memory operand) or an immediate
        set(0x1a3, BT, io.jvisor.cpu.BitOps.BT, MODRM | E_G);
        set(0x1a4, SHLD, 0, MODRM | IB | forms(Operand.E, Operand.G, Operand.IMM));
        set(0x1a5, SHLD, 0, MODRM | forms(Operand.E, Operand.G, Operand.CL));
        set(0x1a8, PUSH_SEG, 5, 0);
        set(0x1a9, POP_SEG, 5, END);
        set(0x1ab, BT, io.jvisor.cpu.BitOps.BTS, MODRM | LOCKABLE | E_G);
        set(0x1ac, SHRD, 0, MODRM | IB | forms(Operand.E, Operand.G, Operand.IMM));
        set(0x1ad, SHRD, 0, MODRM | forms(Operand.E, Operand.G, Operand.CL));
        // 0F AE: with memory FXSAVE, FXRSTOR, LDMXCSR, STMXCSR, CLFLUSH (XSAVE and friends are
        // not offered); in register form LFENCE, MFENCE, SFENCE
        splitGroup(0x1ae, new long[] {ud, ud, ud, ud, ud, e(FENCE, 5, 0), e(FENCE, 6, 0), e(FENCE, 7, 0)},
                new long[] {e(FXSAVE, 0, 0), e(FXRSTOR, 0, 0), e(SIMD, io.jvisor.cpu.SimdOp.LDMXCSR, 0),
                    e(SIMD, io.jvisor.cpu.SimdOp.STMXCSR, 0), ud, ud, ud, e(SIMD, io.jvisor.cpu.SimdOp.CLFLUSH, 0)});
        set(0x1c3, MOV, 0, MODRM | MEM_ONLY | E_G);   // MOVNTI m32, r32 (a non-temporal hint: a plain store)
        set(0x1af, IMUL2, 0, MODRM | forms(Operand.G, Operand.E, Operand.G));
        set(0x1b0, CMPXCHG, 0, MODRM | BYTE | LOCKABLE | E_G);
        set(0x1b1, CMPXCHG, 0, MODRM | LOCKABLE | E_G);
        set(0x1b2, LXS, 2, MODRM | MEM_ONLY | END);
        set(0x1b3, BT, io.jvisor.cpu.BitOps.BTR, MODRM | LOCKABLE | E_G);
        set(0x1b4, LXS, 4, MODRM | MEM_ONLY);
        set(0x1b5, LXS, 5, MODRM | MEM_ONLY);
        set(0x1b6, MOVZX, 1, MODRM | G_E);
        set(0x1b7, MOVZX, 2, MODRM | G_E);
        group(0x1ba, IB | E_I, ud, ud, ud, ud, e(BT, io.jvisor.cpu.BitOps.BT, 0),
                e(BT, io.jvisor.cpu.BitOps.BTS, LOCKABLE), e(BT, io.jvisor.cpu.BitOps.BTR, LOCKABLE),
                e(BT, io.jvisor.cpu.BitOps.BTC, LOCKABLE));
        set(0x1bb, BT, io.jvisor.cpu.BitOps.BTC, MODRM | LOCKABLE | E_G);
        set(0x1bc, BSF, 0, MODRM | G_E);
        set(0x1bd, BSR, 0, MODRM | G_E);
        set(0x1be, MOVSX, 1, MODRM | G_E);
        set(0x1bf, MOVSX, 2, MODRM | G_E);
        set(0x1c0, XADD, 0, MODRM | BYTE | LOCKABLE | E_G);
        set(0x1c1, XADD, 0, MODRM | LOCKABLE | E_G);
        group(0x1c7, 0, ud, e(CMPXCHG8B, 0, MEM_ONLY | LOCKABLE), ud, ud, ud, ud, ud, ud);
        for (int r = 0; r < 8; r++) {
            set(0x1c8 + r, BSWAP, 0, REG_IN_OPCODE | DST_G);
        }
    }
}
