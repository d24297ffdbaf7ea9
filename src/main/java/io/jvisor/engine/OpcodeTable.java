package io.jvisor.engine;

import static io.jvisor.engine.Op.*;

/**
 * The opcode map as data (SDM Vol. 2 Appendix A): for each one-byte opcode and each 0F xx
 * opcode, the execution id, sub-operation, operand form and immediate; groups select by
 * ModRM.reg. The decoder and the block builder read only this table.
 */
final class OpcodeTable {
    private OpcodeTable() { }

    // entry layout
    static final int MODRM = 1 << 16, BYTE = 1 << 17, GROUP = 1 << 22, LOCKABLE = 1 << 23, MEM_ONLY = 1 << 24,
            END = 1 << 25, FORCE_REG = 1 << 26,
    /** The register operand is the opcode's low three bits (SDM "+rb/+rw/+rd"), not ModRM.reg. */
            REG_IN_OPCODE = 1 << 27;
    static final int IMM_SHIFT = 18;
    /**
     * Immediate forms: none, byte, sign-extended byte, word, operand size sign-extended to 32
     * bits (Iz), memory offset of address size (moffs), far pointer, word then byte (ENTER),
     * operand size zero-extended (Iv, as MOV r16, imm16 reads it).
     */
    static final int I_NONE = 0, I_B = 1, I_BS = 2, I_W = 3, I_Z = 4, I_MOFFS = 5, I_PTR = 6, I_WB = 7, I_V = 8;
    static final int IB = I_B << IMM_SHIFT, IBS = I_BS << IMM_SHIFT, IW = I_W << IMM_SHIFT, IZ = I_Z << IMM_SHIFT,
            MOFFS = I_MOFFS << IMM_SHIFT, PTR = I_PTR << IMM_SHIFT, IWB = I_WB << IMM_SHIFT, IV = I_V << IMM_SHIFT;

    static int op(int e) {
        return e & 0xff;
    }

    static int sub(int e) {
        return (e >>> 8) & 0xff;
    }

    static int imm(int e) {
        return (e >>> IMM_SHIFT) & 0xf;
    }

    /** 512 entries: one-byte opcodes, then 0F xx. */
    static final int[] MAP = new int[512];
    /** Group tables: [group][reg]. */
    static final int[][] GROUPS = new int[32][8];
    private static int groupCount;

    private static int e(int op, int sub, int flags) {
        return op | (sub << 8) | flags;
    }

    private static void set(int opcode, int op, int sub, int flags) {
        MAP[opcode] = e(op, sub, flags);
    }

    private static void group(int opcode, int flags, int... entries) {
        int g = groupCount++;
        System.arraycopy(entries, 0, GROUPS[g], 0, 8);
        MAP[opcode] = e(0, g, flags | GROUP | MODRM);
    }

    static {
        java.util.Arrays.fill(MAP, e(UD, 0, END));
        // 00-3F: the eight ALU operations in six forms; the gaps hold segment pushes/pops and BCD
        for (int a = 0; a < 8; a++) {
            int b = a << 3;
            int lk = a == 7 ? 0 : LOCKABLE;
            set(b, ALU_EG, a, MODRM | BYTE | lk);
            set(b + 1, ALU_EG, a, MODRM | lk);
            set(b + 2, ALU_GE, a, MODRM | BYTE);
            set(b + 3, ALU_GE, a, MODRM);
            set(b + 4, ALU_AI, a, BYTE | IB);
            set(b + 5, ALU_AI, a, IZ);
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
            set(0x40 + r, INC_R, r, REG_IN_OPCODE);
            set(0x48 + r, DEC_R, r, REG_IN_OPCODE);
            set(0x50 + r, PUSH_R, r, REG_IN_OPCODE);
            set(0x58 + r, POP_R, r, REG_IN_OPCODE);
            set(0x90 + r, r == 0 ? NOP : XCHG_AR, r, REG_IN_OPCODE);
            set(0xb0 + r, MOV_RI, r, BYTE | IB | REG_IN_OPCODE);
            set(0xb8 + r, MOV_RI, r, IV | REG_IN_OPCODE);
        }
        set(0x60, PUSHA, 0, 0);
        set(0x61, POPA, 0, 0);
        set(0x62, BOUND, 0, MODRM | MEM_ONLY);
        set(0x63, ARPL, 0, MODRM);
        set(0x68, PUSH_I, 0, IZ);
        set(0x69, IMUL_GEI, 0, MODRM | IZ);
        set(0x6a, PUSH_I, 0, IBS);
        set(0x6b, IMUL_GEI, 0, MODRM | IBS);
        set(0x6c, INS, 0, BYTE | END);
        set(0x6d, INS, 0, END);
        set(0x6e, OUTS, 0, BYTE | END);
        set(0x6f, OUTS, 0, END);
        for (int cc = 0; cc < 16; cc++) {
            set(0x70 + cc, JCC, cc, IBS | END);
            set(0x180 + cc, JCC, cc, IZ | END);
            set(0x140 + cc, CMOV, cc, MODRM);
            set(0x190 + cc, SETCC, cc, MODRM | BYTE);
        }
        group(0x80, BYTE | IB | LOCKABLE, e(ALU_EI, 0, 0), e(ALU_EI, 1, 0), e(ALU_EI, 2, 0), e(ALU_EI, 3, 0),
                e(ALU_EI, 4, 0), e(ALU_EI, 5, 0), e(ALU_EI, 6, 0), e(ALU_EI, 7, 0));
        group(0x81, IZ | LOCKABLE, e(ALU_EI, 0, 0), e(ALU_EI, 1, 0), e(ALU_EI, 2, 0), e(ALU_EI, 3, 0),
                e(ALU_EI, 4, 0), e(ALU_EI, 5, 0), e(ALU_EI, 6, 0), e(ALU_EI, 7, 0));
        MAP[0x82] = MAP[0x80];
        group(0x83, IBS | LOCKABLE, e(ALU_EI, 0, 0), e(ALU_EI, 1, 0), e(ALU_EI, 2, 0), e(ALU_EI, 3, 0),
                e(ALU_EI, 4, 0), e(ALU_EI, 5, 0), e(ALU_EI, 6, 0), e(ALU_EI, 7, 0));
        set(0x84, TEST_EG, 0, MODRM | BYTE);
        set(0x85, TEST_EG, 0, MODRM);
        set(0x86, XCHG_EG, 0, MODRM | BYTE | LOCKABLE);
        set(0x87, XCHG_EG, 0, MODRM | LOCKABLE);
        set(0x88, MOV_EG, 0, MODRM | BYTE);
        set(0x89, MOV_EG, 0, MODRM);
        set(0x8a, MOV_GE, 0, MODRM | BYTE);
        set(0x8b, MOV_GE, 0, MODRM);
        set(0x8c, MOV_E_SREG, 0, MODRM);
        set(0x8d, LEA, 0, MODRM | MEM_ONLY);
        set(0x8e, MOV_SREG_E, 0, MODRM | END);
        group(0x8f, 0, e(POP_E, 0, 0), e(UD, 0, END), e(UD, 0, END), e(UD, 0, END), e(UD, 0, END),
                e(UD, 0, END), e(UD, 0, END), e(UD, 0, END));
        set(0x98, CBW, 0, 0);
        set(0x99, CWD, 0, 0);
        set(0x9a, CALLF_AP, 0, PTR | END);
        set(0x9b, WAIT, 0, 0);
        set(0x9c, PUSHF, 0, 0);
        set(0x9d, POPF, 0, END);
        set(0x9e, SAHF, 0, 0);
        set(0x9f, LAHF, 0, 0);
        set(0xa0, MOV_A_M, 0, BYTE | MOFFS);
        set(0xa1, MOV_A_M, 0, MOFFS);
        set(0xa2, MOV_M_A, 0, BYTE | MOFFS);
        set(0xa3, MOV_M_A, 0, MOFFS);
        set(0xa4, MOVS, 0, BYTE);
        set(0xa5, MOVS, 0, 0);
        set(0xa6, CMPS, 0, BYTE);
        set(0xa7, CMPS, 0, 0);
        set(0xa8, TEST_AI, 0, BYTE | IB);
        set(0xa9, TEST_AI, 0, IZ);
        set(0xaa, STOS, 0, BYTE);
        set(0xab, STOS, 0, 0);
        set(0xac, LODS, 0, BYTE);
        set(0xad, LODS, 0, 0);
        set(0xae, SCAS, 0, BYTE);
        set(0xaf, SCAS, 0, 0);
        int[] shifts = new int[8];
        for (int k = 0; k < 8; k++) {
            shifts[k] = e(SHIFT, k, 0);
        }
        group(0xc0, BYTE | IB, shifts);
        group(0xc1, IB, shifts);
        group(0xd0, BYTE, shifts);
        group(0xd1, 0, shifts);
        group(0xd2, BYTE, shifts);
        group(0xd3, 0, shifts);
        set(0xc2, RET_I, 0, IW | END);
        set(0xc3, RET, 0, END);
        set(0xc4, LXS, 0, MODRM | MEM_ONLY);
        set(0xc5, LXS, 3, MODRM | MEM_ONLY);
        group(0xc6, BYTE | IB, e(MOV_EI, 0, 0), e(UD, 0, END), e(UD, 0, END), e(UD, 0, END), e(UD, 0, END),
                e(UD, 0, END), e(UD, 0, END), e(UD, 0, END));
        group(0xc7, IZ, e(MOV_EI, 0, 0), e(UD, 0, END), e(UD, 0, END), e(UD, 0, END), e(UD, 0, END),
                e(UD, 0, END), e(UD, 0, END), e(UD, 0, END));
        set(0xc8, ENTER, 0, IWB);
        set(0xc9, LEAVE, 0, 0);
        set(0xca, RETF_I, 0, IW | END);
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
        set(0xe0, LOOPNZ, 0, IBS | END);
        set(0xe1, LOOPZ, 0, IBS | END);
        set(0xe2, LOOP, 0, IBS | END);
        set(0xe3, JCXZ, 0, IBS | END);
        set(0xe4, IN_I, 0, BYTE | IB | END);
        set(0xe5, IN_I, 0, IB | END);
        set(0xe6, OUT_I, 0, BYTE | IB | END);
        set(0xe7, OUT_I, 0, IB | END);
        set(0xe8, CALL_REL, 0, IZ | END);
        set(0xe9, JMP_REL, 0, IZ | END);
        set(0xea, JMPF_AP, 0, PTR | END);
        set(0xeb, JMP_REL, 0, IBS | END);
        set(0xec, IN_D, 0, BYTE | END);
        set(0xed, IN_D, 0, END);
        set(0xee, OUT_D, 0, BYTE | END);
        set(0xef, OUT_D, 0, END);
        set(0xf1, INT_I, 1, END);   // INT1 / ICEBP: vector 1 as a trap
        set(0xf4, HLT, 0, END);
        set(0xf5, CMC, 0, 0);
        group(0xf6, BYTE, e(TEST_EI, 0, IB), e(TEST_EI, 0, IB), e(NOT, 0, LOCKABLE), e(NEG, 0, LOCKABLE),
                e(MUL, 0, 0), e(IMUL1, 0, 0), e(DIV, 0, 0), e(IDIV, 0, 0));
        group(0xf7, 0, e(TEST_EI, 0, IZ), e(TEST_EI, 0, IZ), e(NOT, 0, LOCKABLE), e(NEG, 0, LOCKABLE),
                e(MUL, 0, 0), e(IMUL1, 0, 0), e(DIV, 0, 0), e(IDIV, 0, 0));
        set(0xf8, CLC, 0, 0);
        set(0xf9, STC, 0, 0);
        set(0xfa, CLI, 0, 0);
        set(0xfb, STI, 0, 0);   // the block goes on: the interrupt shadow covers the next instruction only
        set(0xfc, CLD, 0, 0);
        set(0xfd, STD, 0, 0);
        group(0xfe, BYTE, e(INC_E, 0, LOCKABLE), e(DEC_E, 0, LOCKABLE), e(UD, 0, END), e(UD, 0, END),
                e(UD, 0, END), e(UD, 0, END), e(UD, 0, END), e(UD, 0, END));
        group(0xff, 0, e(INC_E, 0, LOCKABLE), e(DEC_E, 0, LOCKABLE), e(CALL_E, 0, END), e(CALLF_E, 0, END | MEM_ONLY),
                e(JMP_E, 0, END), e(JMPF_E, 0, END | MEM_ONLY), e(PUSH_E, 0, 0), e(UD, 0, END));

        // ---- two-byte opcodes (0F xx)
        group(0x100, 0, e(SLDT, 0, 0), e(STR, 0, 0), e(LLDT, 0, END), e(LTR, 0, END), e(VERR, 0, 0),
                e(VERW, 0, 0), e(UD, 0, END), e(UD, 0, END));
        group(0x101, 0, e(SGDT, 0, MEM_ONLY), e(SIDT, 0, MEM_ONLY), e(LGDT, 0, MEM_ONLY | END),
                e(LIDT, 0, MEM_ONLY | END), e(SMSW, 0, 0), e(UD, 0, END), e(LMSW, 0, END), e(INVLPG, 0, MEM_ONLY | END));
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
        set(0x1a3, BT_EG, 0, MODRM);
        set(0x1a4, SHLD_I, 0, MODRM | IB);
        set(0x1a5, SHLD_CL, 0, MODRM);
        set(0x1a8, PUSH_SEG, 5, 0);
        set(0x1a9, POP_SEG, 5, END);
        set(0x1ab, BT_EG, 1, MODRM | LOCKABLE);
        set(0x1ac, SHRD_I, 0, MODRM | IB);
        set(0x1ad, SHRD_CL, 0, MODRM);
        group(0x1ae, 0, e(FXSAVE, 0, MEM_ONLY), e(FXRSTOR, 0, MEM_ONLY), e(UD, 0, END), e(UD, 0, END),
                e(UD, 0, END), e(UD, 0, END), e(UD, 0, END), e(UD, 0, END));
        set(0x1af, IMUL_GE, 0, MODRM);
        set(0x1b0, CMPXCHG, 0, MODRM | BYTE | LOCKABLE);
        set(0x1b1, CMPXCHG, 0, MODRM | LOCKABLE);
        set(0x1b2, LXS, 2, MODRM | MEM_ONLY | END);
        set(0x1b3, BT_EG, 2, MODRM | LOCKABLE);
        set(0x1b4, LXS, 4, MODRM | MEM_ONLY);
        set(0x1b5, LXS, 5, MODRM | MEM_ONLY);
        set(0x1b6, MOVZX, 1, MODRM);
        set(0x1b7, MOVZX, 2, MODRM);
        group(0x1ba, IB, e(UD, 0, END), e(UD, 0, END), e(UD, 0, END), e(UD, 0, END), e(BT_EI, 0, 0),
                e(BT_EI, 1, LOCKABLE), e(BT_EI, 2, LOCKABLE), e(BT_EI, 3, LOCKABLE));
        set(0x1bb, BT_EG, 3, MODRM | LOCKABLE);
        set(0x1bc, BSF, 0, MODRM);
        set(0x1bd, BSR, 0, MODRM);
        set(0x1be, MOVSX, 1, MODRM);
        set(0x1bf, MOVSX, 2, MODRM);
        set(0x1c0, XADD, 0, MODRM | BYTE | LOCKABLE);
        set(0x1c1, XADD, 0, MODRM | LOCKABLE);
        group(0x1c7, 0, e(UD, 0, END), e(CMPXCHG8B, 0, MEM_ONLY | LOCKABLE), e(UD, 0, END), e(UD, 0, END),
                e(UD, 0, END), e(UD, 0, END), e(UD, 0, END), e(UD, 0, END));
        for (int r = 0; r < 8; r++) {
            set(0x1c8 + r, BSWAP, r, REG_IN_OPCODE);
        }
    }
}
