package io.jvisor.cpu;

import static io.jvisor.cpu.SimdOp.*;

/**
 * Executes the SIMD operations of {@link SimdOp}: MMX registers (aliased onto the x87
 * registers' significands, SDM Vol. 1 9.5) and XMM registers ({@link Cpu#xmm}).
 *
 * <p>State checks come first (SDM Vol. 3 table 12-? "Action Taken for Combinations of
 * EM, MP, TS", 13.1): an instruction on MMX registers is #UD with CR0.EM, #NM with CR0.TS,
 * and #MF while an unmasked x87 exception is pending; an SSE/SSE2 instruction is #UD with
 * CR0.EM or without CR4.OSFXSR, and #NM with CR0.TS. Then operands are read (a 128-bit
 * memory operand of an aligned form must be 16-byte aligned: #GP(0)); results are written
 * only once nothing can fault. Every instruction on MMX registers except EMMS puts the
 * x87 unit in MMX state (TOP = 0, all tags valid); writing an MMX register sets the x87
 * register's exponent field to all ones (SDM 9.5.1).
 */
public final class Simd {
    private Simd() { }

    /**
     * Executes {@code id} (a {@link SimdOp} id, with {@link SimdOp#XMM} for 128-bit forms).
     * {@code reg} is ModRM.reg, {@code rm} ModRM.rm for a register operand or -1 for the
     * memory operand at {@code seg:off}; {@code imm} is the immediate byte, if any.
     */
    public static void execute(Cpu c, int id, int reg, int rm, int seg, int off, int imm) {
        int op = id & ID_MASK;
        boolean x = (id & XMM) != 0;
        switch (op) {
            case CLFLUSH -> { }   // not an SSE-state instruction: CR0.EM/TS and CR4.OSFXSR do not matter
            case LDMXCSR, STMXCSR -> checkSse(c);
            case MOVQ2DQ, MOVDQ2Q -> {
                checkSse(c);
                checkX87Pending(c);
            }
            default -> {
                if (x) {
                    checkSse(c);
                } else {
                    checkMmx(c);
                }
            }
        }
        if (op >= FLOAT_FIRST && op <= FLOAT_LAST || op >= LDMXCSR && op <= CLFLUSH) {
            SseFloat.execute(c, op, reg, rm, seg, off, imm);
            return;
        }
        if (op == EMMS) {
            c.fpu.emptyMask = 0xff;   // every x87 register empty (SDM EMMS)
            return;
        }
        if (op <= LAST_ELEMENTWISE || op >= PSIGNB && op <= PMADDUBSW) {
            binary(c, op, x, reg, rm, seg, off, PackedInt::apply);
        } else if (op >= PSHUFB && op <= PALIGNR) {
            Ssse3.execute(c, op, x, reg, rm, seg, off, imm);
        } else if (op >= PUNPCKLBW && op <= PACKUSWB) {
            binary(c, op, x, reg, rm, seg, off, null);
        } else if (op >= PSRLW && op <= PSLLQ) {
            shiftByOperand(c, op, x, reg, rm, seg, off);
        } else if (op >= PSRLW_I && op <= PSLLDQ_I) {
            shiftByImmediate(c, op, x, rm, imm);
        } else {
            moveOrShuffle(c, op, x, reg, rm, seg, off, imm);
        }
    }

    // =====================================================================================
    // State checks

    /** An instruction on MMX registers (SDM 12.? table 12-1). */
    static void checkMmx(Cpu c) {
        if ((c.cr0 & Cpu.CR0_EM) != 0) {
            throw Fault.ud();
        }
        if ((c.cr0 & Cpu.CR0_TS) != 0) {
            throw Fault.of(Fault.NM);
        }
        checkX87Pending(c);
    }

    /** An SSE/SSE2/SSE3 instruction (SDM 13.1.3, table 13-?). */
    public static void checkSse(Cpu c) {
        if ((c.cr0 & Cpu.CR0_EM) != 0 || (c.cr4 & Cpu.CR4_OSFXSR) == 0) {
            throw Fault.ud();
        }
        if ((c.cr0 & Cpu.CR0_TS) != 0) {
            throw Fault.of(Fault.NM);
        }
    }

    static void checkX87Pending(Cpu c) {
        X87.checkPending(c, c.fpu);
    }

    // =====================================================================================
    // Registers

    static long mm(Cpu c, int i) {
        return c.fpu.mant[i];
    }

    /** MMX register i as software reads it (for tests, debuggers and reports). */
    public static long mmRegister(Cpu c, int i) {
        return c.fpu.mant[i];
    }

    /** Sets MMX register i as an MMX instruction would (MMX state entered). */
    public static void setMmRegister(Cpu c, int i, long v) {
        setMm(c, i, v);
    }

    /** Writes MMX register i and enters MMX state. */
    static void setMm(Cpu c, int i, long v) {
        Fpu f = c.fpu;
        f.mant[i] = v;
        f.sexp[i] = 0xffff;
        enterMmxState(c);
    }

    static void enterMmxState(Cpu c) {
        c.fpu.top = 0;
        c.fpu.emptyMask = 0;
    }

    static void setXmm(Cpu c, int i, long lo, long hi) {
        c.xmm[2 * i] = lo;
        c.xmm[2 * i + 1] = hi;
    }

    // =====================================================================================
    // Memory operands

    /** Reads 16 bytes at seg:off into {@code out[0..1]}; {@code aligned}: #GP(0) unless 16-byte aligned. */
    static void read128(Cpu c, int seg, int off, boolean aligned, long[] out) {
        if (aligned && ((c.segBase[seg] + off) & 15) != 0) {
            throw Fault.gp0();
        }
        int lin = c.readAddr(seg, off, 16);
        out[0] = (c.readLin32(lin) & 0xffff_ffffL) | (long) c.readLin32(lin + 4) << 32;
        out[1] = (c.readLin32(lin + 8) & 0xffff_ffffL) | (long) c.readLin32(lin + 12) << 32;
    }

    /** Writes 16 bytes at seg:off (the whole range is proved writable first). */
    static void write128(Cpu c, int seg, int off, boolean aligned, long lo, long hi) {
        if (aligned && ((c.segBase[seg] + off) & 15) != 0) {
            throw Fault.gp0();
        }
        int lin = c.writeAddr(seg, off, 16);
        c.checkWritable(lin, 16);
        c.writeLin32(lin, (int) lo);
        c.writeLin32(lin + 4, (int) (lo >>> 32));
        c.writeLin32(lin + 8, (int) hi);
        c.writeLin32(lin + 12, (int) (hi >>> 32));
    }

    /** The 128-bit source operand: XMM register rm, or aligned memory. */
    static long[] source128(Cpu c, int rm, int seg, int off) {
        long[] s = new long[2];
        if (rm >= 0) {
            s[0] = c.xmm[2 * rm];
            s[1] = c.xmm[2 * rm + 1];
        } else {
            read128(c, seg, off, true, s);
        }
        return s;
    }

    // =====================================================================================
    // Binary operations: dst = dst op src

    interface Lanes {
        long apply(int op, long a, long b);
    }

    private static void binary(Cpu c, int op, boolean x, int reg, int rm, int seg, int off, Lanes lanes) {
        if (x) {
            long[] s = source128(c, rm, seg, off);
            long dlo = c.xmm[2 * reg], dhi = c.xmm[2 * reg + 1];
            if (lanes != null) {
                setXmm(c, reg, lanes.apply(op, dlo, s[0]), lanes.apply(op, dhi, s[1]));
            } else {
                long[] r = crossing128(op, dlo, dhi, s[0], s[1]);
                setXmm(c, reg, r[0], r[1]);
            }
            return;
        }
        long s;
        if (rm >= 0) {
            s = mm(c, rm);
        } else if (op >= PUNPCKLBW && op <= PUNPCKLQDQ) {
            s = c.read32(seg, off) & 0xffff_ffffL;   // the MMX low unpacks read only 32 bits (m32)
        } else {
            s = c.read64(seg, off);
        }
        long d = mm(c, reg);
        setMm(c, reg, lanes != null ? lanes.apply(op, d, s) : crossing64(op, d, s));
    }

    /** Unpack and pack on MMX registers. */
    private static long crossing64(int op, long d, long s) {
        return switch (op) {
            case PUNPCKLBW -> interleave(d, s, 8)[0];
            case PUNPCKLWD -> interleave(d, s, 16)[0];
            case PUNPCKLDQ -> interleave(d, s, 32)[0];
            case PUNPCKHBW -> interleave(d >>> 32, s >>> 32, 8)[0];
            case PUNPCKHWD -> interleave(d >>> 32, s >>> 32, 16)[0];
            case PUNPCKHDQ -> interleave(d >>> 32, s >>> 32, 32)[0];
            case PACKSSWB, PACKSSDW, PACKUSWB -> pack(op, d) | pack(op, s) << 32;
            default -> throw Fault.ud();   // PUNPCKLQDQ / PUNPCKHQDQ exist for XMM registers only
        };
    }

    /** Unpack and pack on XMM registers. */
    private static long[] crossing128(int op, long dlo, long dhi, long slo, long shi) {
        return switch (op) {
            case PUNPCKLBW -> interleave(dlo, slo, 8);
            case PUNPCKLWD -> interleave(dlo, slo, 16);
            case PUNPCKLDQ -> interleave(dlo, slo, 32);
            case PUNPCKLQDQ -> new long[] {dlo, slo};
            case PUNPCKHBW -> interleave(dhi, shi, 8);
            case PUNPCKHWD -> interleave(dhi, shi, 16);
            case PUNPCKHDQ -> interleave(dhi, shi, 32);
            case PUNPCKHQDQ -> new long[] {dhi, shi};
            default -> new long[] {pack(op, dlo) | pack(op, dhi) << 32, pack(op, slo) | pack(op, shi) << 32};
        };
    }

    /** Elements of a and b alternately (a's first), from element 0 up: 128 bits as {lo, hi}. */
    static long[] interleave(long a, long b, int width) {
        long[] r = new long[2];
        long mask = width == 64 ? -1L : (1L << width) - 1;
        int pos = 0;
        for (int s = 0; s < 64; s += width) {
            r[pos >>> 6] |= ((a >>> s) & mask) << (pos & 63);
            pos += width;
            r[pos >>> 6] |= ((b >>> s) & mask) << (pos & 63);
            pos += width;
        }
        return r;
    }

    /** The four words (or two dwords) of {@code v} saturated to bytes (words): 32 bits. */
    private static long pack(int op, long v) {
        long r = 0;
        if (op == PACKSSDW) {
            for (int k = 0; k < 2; k++) {
                r |= (long) (PackedInt.signedWord((int) (v >>> (32 * k))) & 0xffff) << (16 * k);
            }
            return r;
        }
        for (int k = 0; k < 4; k++) {
            int w = (short) (v >>> (16 * k));
            int b = op == PACKSSWB ? PackedInt.signedByte(w) : Math.max(0, Math.min(255, w));
            r |= (long) (b & 0xff) << (8 * k);
        }
        return r;
    }

    // =====================================================================================
    // Shifts

    private static int shiftWidth(int op) {
        return switch (op) {
            case PSRLW, PSRAW, PSLLW, PSRLW_I, PSRAW_I, PSLLW_I -> 16;
            case PSRLD, PSRAD, PSLLD, PSRLD_I, PSRAD_I, PSLLD_I -> 32;
            default -> 64;
        };
    }

    private static long shift(int op, long v, long count) {
        int w = shiftWidth(op);
        return switch (op) {
            case PSRLW, PSRLD, PSRLQ, PSRLW_I, PSRLD_I, PSRLQ_I -> PackedInt.shiftRightLogical(v, w, count);
            case PSRAW, PSRAD, PSRAW_I, PSRAD_I -> PackedInt.shiftRightArithmetic(v, w, count);
            default -> PackedInt.shiftLeft(v, w, count);
        };
    }

    /** PSxx mm, mm/m64 and xmm, xmm/m128: the count is the source's whole low quadword. */
    private static void shiftByOperand(Cpu c, int op, boolean x, int reg, int rm, int seg, int off) {
        if (x) {
            long count = source128(c, rm, seg, off)[0];
            setXmm(c, reg, shift(op, c.xmm[2 * reg], count), shift(op, c.xmm[2 * reg + 1], count));
            return;
        }
        long count = rm >= 0 ? mm(c, rm) : c.read64(seg, off);
        setMm(c, reg, shift(op, mm(c, reg), count));
    }

    /** The immediate forms (0F 71-73 groups): the register is ModRM.rm. */
    private static void shiftByImmediate(Cpu c, int op, boolean x, int rm, int imm) {
        long count = imm & 0xff;
        if (!x) {
            setMm(c, rm, shift(op, mm(c, rm), count));
            return;
        }
        long lo = c.xmm[2 * rm], hi = c.xmm[2 * rm + 1];
        if (op == PSRLDQ_I || op == PSLLDQ_I) {
            int bits = (int) Math.min(count, 16) * 8;
            long[] r = op == PSRLDQ_I ? shiftRight128(lo, hi, bits) : shiftLeft128(lo, hi, bits);
            setXmm(c, rm, r[0], r[1]);
            return;
        }
        setXmm(c, rm, shift(op, lo, count), shift(op, hi, count));
    }

    static long[] shiftRight128(long lo, long hi, int bits) {
        if (bits >= 128) {
            return new long[] {0, 0};
        }
        if (bits >= 64) {
            return new long[] {hi >>> (bits - 64), 0};
        }
        if (bits == 0) {
            return new long[] {lo, hi};
        }
        return new long[] {lo >>> bits | hi << (64 - bits), hi >>> bits};
    }

    static long[] shiftLeft128(long lo, long hi, int bits) {
        if (bits >= 128) {
            return new long[] {0, 0};
        }
        if (bits >= 64) {
            return new long[] {0, lo << (bits - 64)};
        }
        if (bits == 0) {
            return new long[] {lo, hi};
        }
        return new long[] {lo << bits, hi << bits | lo >>> (64 - bits)};
    }

    // =====================================================================================
    // Moves, shuffles, inserts, extracts

    private static void moveOrShuffle(Cpu c, int op, boolean x, int reg, int rm, int seg, int off, int imm) {
        switch (op) {
            case MOVD_LOAD -> {
                long v = (rm >= 0 ? c.r[rm] : c.read32(seg, off)) & 0xffff_ffffL;
                if (x) {
                    setXmm(c, reg, v, 0);
                } else {
                    setMm(c, reg, v);
                }
            }
            case MOVD_STORE -> {
                int v = (int) (x ? c.xmm[2 * reg] : mm(c, reg));
                if (rm >= 0) {
                    c.r[rm] = v;
                } else {
                    c.write32(seg, off, v);
                }
                if (!x) {
                    enterMmxState(c);
                }
            }
            case MOVQ_LOAD -> setMm(c, reg, rm >= 0 ? mm(c, rm) : c.read64(seg, off));
            case MOVQ_STORE, MOVNTQ -> {
                if (rm >= 0) {
                    setMm(c, rm, mm(c, reg));
                } else {
                    c.write64(seg, off, mm(c, reg));
                    enterMmxState(c);
                }
            }
            case MOVDQA_LOAD, MOVDQU_LOAD -> {
                long[] s = new long[2];
                if (rm >= 0) {
                    s[0] = c.xmm[2 * rm];
                    s[1] = c.xmm[2 * rm + 1];
                } else {
                    read128(c, seg, off, op == MOVDQA_LOAD, s);
                }
                setXmm(c, reg, s[0], s[1]);
            }
            case MOVDQA_STORE, MOVDQU_STORE, MOVNTDQ -> {
                long lo = c.xmm[2 * reg], hi = c.xmm[2 * reg + 1];
                if (rm >= 0) {
                    setXmm(c, rm, lo, hi);
                } else {
                    write128(c, seg, off, op != MOVDQU_STORE, lo, hi);
                }
            }
            case MOVQ_XMM_LOAD -> setXmm(c, reg, rm >= 0 ? c.xmm[2 * rm] : c.read64(seg, off), 0);
            case MOVQ_XMM_STORE -> {
                long v = c.xmm[2 * reg];
                if (rm >= 0) {
                    setXmm(c, rm, v, 0);
                } else {
                    c.write64(seg, off, v);
                }
            }
            case MOVQ2DQ -> {
                setXmm(c, reg, mm(c, rm), 0);
                enterMmxState(c);
            }
            case MOVDQ2Q -> setMm(c, reg, c.xmm[2 * rm]);
            case MASKMOV -> maskMove(c, x, reg, rm, seg, off);
            case PSHUFW -> {
                long s = rm >= 0 ? mm(c, rm) : c.read64(seg, off);
                setMm(c, reg, shuffleWords(s, imm));
            }
            case PSHUFD -> {
                long[] s = source128(c, rm, seg, off);
                long lo = 0, hi = 0;
                for (int k = 0; k < 4; k++) {
                    int sel = (imm >>> (2 * k)) & 3;
                    long d = (s[sel >>> 1] >>> (32 * (sel & 1))) & 0xffff_ffffL;
                    if (k < 2) {
                        lo |= d << (32 * k);
                    } else {
                        hi |= d << (32 * (k - 2));
                    }
                }
                setXmm(c, reg, lo, hi);
            }
            case PSHUFHW -> {
                long[] s = source128(c, rm, seg, off);
                setXmm(c, reg, s[0], shuffleWords(s[1], imm));
            }
            case PSHUFLW -> {
                long[] s = source128(c, rm, seg, off);
                setXmm(c, reg, shuffleWords(s[0], imm), s[1]);
            }
            case PINSRW -> {
                long w = (rm >= 0 ? c.r[rm] : c.read16(seg, off)) & 0xffff;
                if (x) {
                    int k = imm & 7;
                    int half = 2 * reg + (k >>> 2);
                    int s = 16 * (k & 3);
                    c.xmm[half] = (c.xmm[half] & ~(0xffffL << s)) | w << s;
                } else {
                    int s = 16 * (imm & 3);
                    setMm(c, reg, (mm(c, reg) & ~(0xffffL << s)) | w << s);
                }
            }
            case PEXTRW -> {
                if (x) {
                    int k = imm & 7;
                    c.r[reg] = (int) (c.xmm[2 * rm + (k >>> 2)] >>> (16 * (k & 3))) & 0xffff;
                } else {
                    c.r[reg] = (int) (mm(c, rm) >>> (16 * (imm & 3))) & 0xffff;
                    enterMmxState(c);
                }
            }
            case PMOVMSKB -> {
                int m = byteSigns(x ? c.xmm[2 * rm] : mm(c, rm));
                if (x) {
                    m |= byteSigns(c.xmm[2 * rm + 1]) << 8;
                } else {
                    enterMmxState(c);
                }
                c.r[reg] = m;
            }
            default -> throw Fault.ud();
        }
    }

    /** The words of {@code v} chosen by the four 2-bit fields of {@code imm}. */
    private static long shuffleWords(long v, int imm) {
        long r = 0;
        for (int k = 0; k < 4; k++) {
            int sel = (imm >>> (2 * k)) & 3;
            r |= ((v >>> (16 * sel)) & 0xffff) << (16 * k);
        }
        return r;
    }

    /** Bit k: the top bit of byte k. */
    static int byteSigns(long v) {
        int m = 0;
        for (int k = 0; k < 8; k++) {
            m |= (int) (v >>> (8 * k + 7) & 1) << k;
        }
        return m;
    }

    /** MASKMOVQ / MASKMOVDQU: each byte of reg whose mask byte (in rm) has its top bit set goes to seg:off + k. */
    private static void maskMove(Cpu c, boolean x, int reg, int rm, int seg, int off) {
        int n = x ? 16 : 8;
        for (int k = 0; k < n; k++) {
            long mask = x ? c.xmm[2 * rm + (k >>> 3)] : mm(c, rm);
            long data = x ? c.xmm[2 * reg + (k >>> 3)] : mm(c, reg);
            int s = 8 * (k & 7);
            if ((mask >>> (s + 7) & 1) != 0) {
                c.write8(seg, off + k, (int) (data >>> s));
            }
        }
        if (!x) {
            enterMmxState(c);
        }
    }
}
