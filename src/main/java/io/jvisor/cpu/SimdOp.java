package io.jvisor.cpu;

/**
 * The SIMD operations (MMX, SSE, SSE2): the execution ids the decoder's SIMD table gives
 * and {@link Simd} executes. An integer operation has one id for its MMX form (64-bit
 * operands) and its SSE2 form (the 66 prefix, 128-bit operands); the decoder adds
 * {@link #XMM} for the latter.
 */
public final class SimdOp {
    private SimdOp() { }

    /** Flag on an id: the operands are XMM registers (or 128-bit memory) instead of MMX registers. */
    public static final int XMM = 1 << 10;
    public static final int ID_MASK = XMM - 1;

    // ---- packed integer, element by element within each 64-bit half (binary: dst = dst op src)
    public static final int PADDB = 1, PADDW = 2, PADDD = 3, PADDQ = 4, PADDSB = 5, PADDSW = 6, PADDUSB = 7,
            PADDUSW = 8, PSUBB = 9, PSUBW = 10, PSUBD = 11, PSUBQ = 12, PSUBSB = 13, PSUBSW = 14, PSUBUSB = 15,
            PSUBUSW = 16, PCMPEQB = 17, PCMPEQW = 18, PCMPEQD = 19, PCMPGTB = 20, PCMPGTW = 21, PCMPGTD = 22,
            PMULLW = 23, PMULHW = 24, PMULHUW = 25, PMADDWD = 26, PMULUDQ = 27, PAND = 28, PANDN = 29, POR = 30,
            PXOR = 31, PAVGB = 32, PAVGW = 33, PMINUB = 34, PMAXUB = 35, PMINSW = 36, PMAXSW = 37, PSADBW = 38,
    /** SSSE3 (0F 38 xx), element-wise too. */
            PSIGNB = 220, PSIGNW = 221, PSIGND = 222, PABSB = 223, PABSW = 224, PABSD = 225, PMULHRSW = 226,
            PMADDUBSW = 227;
    /** The last id of the element-wise group above (the SSSE3 ones are listed separately). */
    static final int LAST_ELEMENTWISE = 38;

    // ---- SSSE3 across the register
    public static final int PSHUFB = 228, PHADDW = 229, PHADDD = 230, PHADDSW = 231, PHSUBW = 232, PHSUBD = 233,
            PHSUBSW = 234, PALIGNR = 235;
    static final int SSSE3_FIRST = PSIGNB, SSSE3_LAST = PALIGNR;

    // ---- packed integer across the register: unpack, pack
    public static final int PUNPCKLBW = 40, PUNPCKLWD = 41, PUNPCKLDQ = 42, PUNPCKLQDQ = 43, PUNPCKHBW = 44,
            PUNPCKHWD = 45, PUNPCKHDQ = 46, PUNPCKHQDQ = 47, PACKSSWB = 48, PACKSSDW = 49, PACKUSWB = 50;

    // ---- shifts: by the count in a register or memory operand, and by an immediate (ModRM.rm is the register)
    public static final int PSRLW = 52, PSRLD = 53, PSRLQ = 54, PSRAW = 55, PSRAD = 56, PSLLW = 57, PSLLD = 58,
            PSLLQ = 59, PSRLW_I = 60, PSRLD_I = 61, PSRLQ_I = 62, PSRAW_I = 63, PSRAD_I = 64, PSLLW_I = 65,
            PSLLD_I = 66, PSLLQ_I = 67, PSRLDQ_I = 68, PSLLDQ_I = 69;

    // ---- moves between registers and memory
    /** 0F 6E: MOVD mm/xmm, r/m32. 0F 7E: MOVD r/m32, mm/xmm. */
    public static final int MOVD_LOAD = 72, MOVD_STORE = 73;
    /** 0F 6F / 0F 7F: MOVQ mm (no prefix), MOVDQA (66), MOVDQU (F3). */
    public static final int MOVQ_LOAD = 74, MOVQ_STORE = 75, MOVDQA_LOAD = 76, MOVDQA_STORE = 77,
            MOVDQU_LOAD = 78, MOVDQU_STORE = 79;
    /** F3 0F 7E: MOVQ xmm, xmm/m64 (upper half zeroed). 66 0F D6: MOVQ xmm/m64, xmm. */
    public static final int MOVQ_XMM_LOAD = 80, MOVQ_XMM_STORE = 81;
    /** F3 0F D6: MOVQ2DQ xmm, mm. F2 0F D6: MOVDQ2Q mm, xmm. */
    public static final int MOVQ2DQ = 82, MOVDQ2Q = 83;
    /** 0F E7: MOVNTQ m64, mm; 66 0F E7: MOVNTDQ m128, xmm (non-temporal hints: plain stores here). */
    public static final int MOVNTQ = 84, MOVNTDQ = 85;
    /** 0F F7: MASKMOVQ mm, mm; 66 0F F7: MASKMOVDQU xmm, xmm (byte stores to DS:EDI where the mask's top bit is set). */
    public static final int MASKMOV = 86;

    // ---- shuffles, inserts, extracts, masks
    public static final int PSHUFW = 88, PSHUFD = 89, PSHUFHW = 90, PSHUFLW = 91, PINSRW = 92, PEXTRW = 93,
            PMOVMSKB = 94;
    /** 0F 77: leaves MMX state (all x87 tags empty). */
    public static final int EMMS = 95;

    // ---- SSE / SSE2 / SSE3 floating point (SseFloat)
    /** 0F 10/11 (none, 66): MOVUPS/MOVUPD; 0F 28/29: MOVAPS/MOVAPD; F3/F2 0F 10/11: MOVSS/MOVSD. */
    public static final int MOVUPS_LOAD = 100, MOVUPS_STORE = 101, MOVAPS_LOAD = 102, MOVAPS_STORE = 103,
            MOVSS_LOAD = 104, MOVSS_STORE = 105, MOVSD_LOAD = 106, MOVSD_STORE = 107;
    /** 0F 12: MOVLPS xmm, m64 (register form: MOVHLPS); 66 0F 12: MOVLPD; 0F/66 0F 13: the stores. */
    public static final int MOVLPS_LOAD = 108, MOVLPD_LOAD = 109, MOVLPS_STORE = 110;
    /** 0F 16: MOVHPS xmm, m64 (register form: MOVLHPS); 66 0F 16: MOVHPD; 0F/66 0F 17: the stores. */
    public static final int MOVHPS_LOAD = 111, MOVHPD_LOAD = 112, MOVHPS_STORE = 113;
    /** SSE3: F3 0F 12, F3 0F 16, F2 0F 12; F2 0F F0 LDDQU. */
    public static final int MOVSLDUP = 114, MOVSHDUP = 115, MOVDDUP = 116, LDDQU = 119;
    public static final int MOVMSKPS = 117, MOVMSKPD = 118, SHUFPS = 120, SHUFPD = 121;

    /**
     * Arithmetic: {@code FP_BASE + 4 * operation + shape}, shape {@link #PS}, {@link #PD},
     * {@link #SS} or {@link #SD}.
     */
    public static final int FP_BASE = 128, PS = 0, PD = 1, SS = 2, SD = 3;
    public static final int F_ADD = 0, F_MUL = 1, F_SUB = 2, F_MIN = 3, F_DIV = 4, F_MAX = 5, F_SQRT = 6,
            F_RSQRT = 7, F_RCP = 8, F_CMP = 9, F_ADDSUB = 10, F_HADD = 11, F_HSUB = 12;
    static final int FP_LAST = FP_BASE + 4 * F_HSUB + SD;

    public static int fp(int operation, int shape) {
        return FP_BASE + 4 * operation + shape;
    }

    public static final int COMISS = 180, COMISD = 181, UCOMISS = 182, UCOMISD = 183;
    public static final int CVTPI2PS = 184, CVTPI2PD = 185, CVTSI2SS = 186, CVTSI2SD = 187, CVTTPS2PI = 188,
            CVTTPD2PI = 189, CVTTSS2SI = 190, CVTTSD2SI = 191, CVTPS2PI = 192, CVTPD2PI = 193, CVTSS2SI = 194,
            CVTSD2SI = 195, CVTPS2PD = 196, CVTPD2PS = 197, CVTSS2SD = 198, CVTSD2SS = 199, CVTDQ2PS = 200,
            CVTPS2DQ = 201, CVTTPS2DQ = 202, CVTTPD2DQ = 203, CVTDQ2PD = 204, CVTPD2DQ = 205;
    static final int FLOAT_FIRST = MOVUPS_LOAD, FLOAT_LAST = CVTPD2DQ;

    /** 0F AE /2, /3, /7 (memory forms). */
    public static final int LDMXCSR = 210, STMXCSR = 211, CLFLUSH = 212;
}
