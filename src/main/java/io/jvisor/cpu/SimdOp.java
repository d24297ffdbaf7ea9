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
            PXOR = 31, PAVGB = 32, PAVGW = 33, PMINUB = 34, PMAXUB = 35, PMINSW = 36, PMAXSW = 37, PSADBW = 38;
    /** The last id of the element-wise group above. */
    static final int LAST_ELEMENTWISE = 38;

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
}
