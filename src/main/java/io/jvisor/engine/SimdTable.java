package io.jvisor.engine;

import static io.jvisor.cpu.SimdOp.*;

/**
 * The SIMD part of the two-byte opcode map (SDM Vol. 2 Appendix A, tables ):
 * for an 0F xx opcode, its operation under each mandatory prefix (none, 66, F3, F2) as a
 * {@link io.jvisor.cpu.SimdOp} id, and how its operands are encoded. Without a listed form
 * for the prefix the instruction is #UD. Of F2/F3 the last one counts, and either outranks
 * 66 (which then only selects the operand size of nothing).
 */
final class SimdTable {
    private SimdTable() { }

    static final int NONE = 0, P66 = 1, PF3 = 2, PF2 = 3;

    // entry layout: SimdOp id (with XMM) in bits 0-10, flags above; 0 = #UD
    static final int MEM_ONLY = 1 << 12, REG_ONLY = 1 << 13, IMM8 = 1 << 14, NO_MODRM = 1 << 15,
    /** The memory operand is implicit at DS:(E)DI (MASKMOVQ / MASKMOVDQU); ModRM names two registers. */
            IMPLICIT_DI = 1 << 16,
    /** A group: bits 0-3 select {@link #GROUPS}, ModRM.reg the member. */
            GROUP = 1 << 17;
    static final int ID_BITS = (1 << 11) - 1;

    /** [prefix][second opcode byte]. */
    static final int[][] MAP = new int[4][256];
    /** The three-byte maps 0F 38 xx and 0F 3A xx (SSSE3): [prefix][third byte]. */
    static final int[][] MAP38 = new int[4][256], MAP3A = new int[4][256];
    /** Groups 12, 13, 14 (0F 71, 72, 73): [group][prefix][ModRM.reg]. */
    static final int[][][] GROUPS = new int[3][4][8];
    private static final boolean[] SIMD = new boolean[256];

    /** True if 0F {@code b} is decoded through this table. */
    static boolean handles(int b) {
        return SIMD[b];
    }

    /** The mandatory prefix of an instruction with these prefixes (see the class comment). */
    static int prefix(boolean operandSize, boolean repe, boolean repne) {
        return repe ? PF3 : repne ? PF2 : operandSize ? P66 : NONE;
    }

    private static void mmxAndSse2(int b, int id, int flags) {
        MAP[NONE][b] = id | flags;
        MAP[P66][b] = id | XMM | flags;
        SIMD[b] = true;
    }

    private static void only(int prefix, int b, int id) {
        MAP[prefix][b] = id;
        SIMD[b] = true;
    }

    static {
        // 0F 60-6B, 6E-6F: MMX; with 66 the SSE2 form on XMM registers
        int[] row6 = {PUNPCKLBW, PUNPCKLWD, PUNPCKLDQ, PACKSSWB, PCMPGTB, PCMPGTW, PCMPGTD, PACKUSWB,
            PUNPCKHBW, PUNPCKHWD, PUNPCKHDQ, PACKSSDW};
        for (int k = 0; k < row6.length; k++) {
            mmxAndSse2(0x60 + k, row6[k], 0);
        }
        only(P66, 0x6c, PUNPCKLQDQ | XMM);
        only(P66, 0x6d, PUNPCKHQDQ | XMM);
        mmxAndSse2(0x6e, MOVD_LOAD, 0);
        only(NONE, 0x6f, MOVQ_LOAD);
        only(P66, 0x6f, MOVDQA_LOAD | XMM);
        only(PF3, 0x6f, MOVDQU_LOAD | XMM);
        // 0F 70: shuffles
        only(NONE, 0x70, PSHUFW | IMM8);
        only(P66, 0x70, PSHUFD | XMM | IMM8);
        only(PF3, 0x70, PSHUFHW | XMM | IMM8);
        only(PF2, 0x70, PSHUFLW | XMM | IMM8);
        // 0F 71-73: shifts by an immediate, register operand in ModRM.rm
        int[][] groups = {
            {0, 0, PSRLW_I, 0, PSRAW_I, 0, PSLLW_I, 0},
            {0, 0, PSRLD_I, 0, PSRAD_I, 0, PSLLD_I, 0},
            {0, 0, PSRLQ_I, PSRLDQ_I, 0, 0, PSLLQ_I, PSLLDQ_I}};
        for (int g = 0; g < 3; g++) {
            for (int r = 0; r < 8; r++) {
                int id = groups[g][r];
                if (id == 0) {
                    continue;
                }
                if (id != PSRLDQ_I && id != PSLLDQ_I) {
                    GROUPS[g][NONE][r] = id | REG_ONLY | IMM8;
                }
                GROUPS[g][P66][r] = id | XMM | REG_ONLY | IMM8;
            }
            MAP[NONE][0x71 + g] = GROUP | g;
            MAP[P66][0x71 + g] = GROUP | g;
            SIMD[0x71 + g] = true;
        }
        mmxAndSse2(0x74, PCMPEQB, 0);
        mmxAndSse2(0x75, PCMPEQW, 0);
        mmxAndSse2(0x76, PCMPEQD, 0);
        only(NONE, 0x77, EMMS | NO_MODRM);
        mmxAndSse2(0x7e, MOVD_STORE, 0);
        only(PF3, 0x7e, MOVQ_XMM_LOAD | XMM);
        only(NONE, 0x7f, MOVQ_STORE);
        only(P66, 0x7f, MOVDQA_STORE | XMM);
        only(PF3, 0x7f, MOVDQU_STORE | XMM);
        // 0F C4, C5: word insert and extract
        mmxAndSse2(0xc4, PINSRW, IMM8);
        mmxAndSse2(0xc5, PEXTRW, IMM8 | REG_ONLY);
        // 0F D1-FE: the rest of the integer set
        int[] rowD = {0, PSRLW, PSRLD, PSRLQ, PADDQ, PMULLW, 0, PMOVMSKB,
            PSUBUSB, PSUBUSW, PMINUB, PAND, PADDUSB, PADDUSW, PMAXUB, PANDN,
            PAVGB, PSRAW, PSRAD, PAVGW, PMULHUW, PMULHW, 0, 0,
            PSUBSB, PSUBSW, PMINSW, POR, PADDSB, PADDSW, PMAXSW, PXOR,
            0, PSLLW, PSLLD, PSLLQ, PMULUDQ, PMADDWD, PSADBW, 0,
            PSUBB, PSUBW, PSUBD, PSUBQ, PADDB, PADDW, PADDD, 0};
        for (int k = 0; k < rowD.length; k++) {
            if (rowD[k] != 0) {
                mmxAndSse2(0xd0 + k, rowD[k], rowD[k] == PMOVMSKB ? REG_ONLY : 0);
            }
        }
        only(P66, 0xd6, MOVQ_XMM_STORE | XMM);
        only(PF3, 0xd6, MOVQ2DQ | XMM | REG_ONLY);
        only(PF2, 0xd6, MOVDQ2Q | REG_ONLY);
        only(NONE, 0xe7, MOVNTQ | MEM_ONLY);
        only(P66, 0xe7, MOVNTDQ | XMM | MEM_ONLY);
        mmxAndSse2(0xf7, MASKMOV, REG_ONLY | IMPLICIT_DI);

        // ---- SSE / SSE2 / SSE3 floating point, all on XMM registers
        forms(0x10, MOVUPS_LOAD, MOVUPS_LOAD, MOVSS_LOAD, MOVSD_LOAD);
        forms(0x11, MOVUPS_STORE, MOVUPS_STORE, MOVSS_STORE, MOVSD_STORE);
        forms(0x12, MOVLPS_LOAD, MOVLPD_LOAD | MEM_ONLY, MOVSLDUP, MOVDDUP);
        forms(0x13, MOVLPS_STORE | MEM_ONLY, MOVLPS_STORE | MEM_ONLY, 0, 0);
        forms(0x14, PUNPCKLDQ, PUNPCKLQDQ, 0, 0);   // UNPCKLPS, UNPCKLPD: the same bits as the integer unpacks
        forms(0x15, PUNPCKHDQ, PUNPCKHQDQ, 0, 0);
        forms(0x16, MOVHPS_LOAD, MOVHPD_LOAD | MEM_ONLY, MOVSHDUP, 0);
        forms(0x17, MOVHPS_STORE | MEM_ONLY, MOVHPS_STORE | MEM_ONLY, 0, 0);
        forms(0x28, MOVAPS_LOAD, MOVAPS_LOAD, 0, 0);
        forms(0x29, MOVAPS_STORE, MOVAPS_STORE, 0, 0);
        forms(0x2a, CVTPI2PS, CVTPI2PD, CVTSI2SS, CVTSI2SD);
        forms(0x2b, MOVNTDQ | MEM_ONLY, MOVNTDQ | MEM_ONLY, 0, 0);   // MOVNTPS, MOVNTPD
        forms(0x2c, CVTTPS2PI, CVTTPD2PI, CVTTSS2SI, CVTTSD2SI);
        forms(0x2d, CVTPS2PI, CVTPD2PI, CVTSS2SI, CVTSD2SI);
        forms(0x2e, UCOMISS, UCOMISD, 0, 0);
        forms(0x2f, COMISS, COMISD, 0, 0);
        forms(0x50, MOVMSKPS | REG_ONLY, MOVMSKPD | REG_ONLY, 0, 0);
        arithmetic(0x51, F_SQRT);
        forms(0x52, fp(F_RSQRT, PS), 0, fp(F_RSQRT, SS), 0);
        forms(0x53, fp(F_RCP, PS), 0, fp(F_RCP, SS), 0);
        forms(0x54, PAND, PAND, 0, 0);   // ANDPS, ANDPD
        forms(0x55, PANDN, PANDN, 0, 0);
        forms(0x56, POR, POR, 0, 0);
        forms(0x57, PXOR, PXOR, 0, 0);
        arithmetic(0x58, F_ADD);
        arithmetic(0x59, F_MUL);
        forms(0x5a, CVTPS2PD, CVTPD2PS, CVTSS2SD, CVTSD2SS);
        forms(0x5b, CVTDQ2PS, CVTPS2DQ, CVTTPS2DQ, 0);
        arithmetic(0x5c, F_SUB);
        arithmetic(0x5d, F_MIN);
        arithmetic(0x5e, F_DIV);
        arithmetic(0x5f, F_MAX);
        forms(0x7c, 0, fp(F_HADD, PD), 0, fp(F_HADD, PS));
        forms(0x7d, 0, fp(F_HSUB, PD), 0, fp(F_HSUB, PS));
        arithmetic(0xc2, F_CMP);
        for (int p = 0; p < 4; p++) {
            if (MAP[p][0xc2] != 0) {
                MAP[p][0xc2] |= IMM8;
            }
        }
        forms(0xc6, SHUFPS | IMM8, SHUFPD | IMM8, 0, 0);
        forms(0xd0, 0, fp(F_ADDSUB, PD), 0, fp(F_ADDSUB, PS));
        forms(0xe6, 0, CVTTPD2DQ, CVTDQ2PD, CVTPD2DQ);
        forms(0xf0, 0, 0, 0, LDDQU | MEM_ONLY);

        // ---- SSSE3: 0F 38 xx and 0F 3A 0F, MMX registers without a prefix, XMM with 66
        int[] row38 = {PSHUFB, PHADDW, PHADDD, PHADDSW, PMADDUBSW, PHSUBW, PHSUBD, PHSUBSW, PSIGNB, PSIGNW,
            PSIGND, PMULHRSW};
        for (int k = 0; k < row38.length; k++) {
            MAP38[NONE][k] = row38[k];
            MAP38[P66][k] = row38[k] | XMM;
        }
        int[] abs = {PABSB, PABSW, PABSD};
        for (int k = 0; k < abs.length; k++) {
            MAP38[NONE][0x1c + k] = abs[k];
            MAP38[P66][0x1c + k] = abs[k] | XMM;
        }
        MAP3A[NONE][0x0f] = PALIGNR | IMM8;
        MAP3A[P66][0x0f] = PALIGNR | XMM | IMM8;
        SIMD[0x38] = true;
        SIMD[0x3a] = true;
    }

    /** An XMM instruction's forms without and with 66, F3, F2 (0: #UD); entries may carry flags. */
    private static void forms(int b, int none, int p66, int f3, int f2) {
        int[] e = {none, p66, f3, f2};
        for (int p = 0; p < 4; p++) {
            if (e[p] != 0) {
                MAP[p][b] = e[p] | XMM;
            }
        }
        SIMD[b] = true;
    }

    /** An arithmetic operation's four shapes: PS (none), PD (66), SS (F3), SD (F2). */
    private static void arithmetic(int b, int operation) {
        forms(b, fp(operation, PS), fp(operation, PD), fp(operation, SS), fp(operation, SD));
    }
}
