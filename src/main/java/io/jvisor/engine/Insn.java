package io.jvisor.engine;

/**
 * One decoded instruction: what the decoder found once, so that executing it again costs
 * no decoding. Immutable after decoding.
 */
public final class Insn {
    /** Execution id ({@link Op}) and its sub-operation (ALU op, condition code, segment, ...). */
    int op, sub;
    /** Operand forms ({@link Operand}): where the destination and the sources are. */
    int dst, src, src2;
    /** Raw opcode: 0x00..0xff, or 0x100 + second byte for 0F xx. */
    int opcode;
    /** Operand size in bytes: 1, 2 or 4. */
    int size;
    boolean o32, a32;
    /** Length in bytes and offset from the start of its block. */
    int len, offset;
    /** StringOps.REP_NONE / REPNE / REPE. */
    int rep;
    boolean lock;
    /** A locked read-modify-write (LOCK prefix, or XCHG with memory): atomic across vCPUs. */
    boolean atomic;
    /** Segment register of the memory operand (the default or the override). */
    int seg;
    /** ModRM fields; without a ModRM byte mod is 3 (no memory operand), or 0 for a moffs operand. */
    int mod = 3, reg, rm;
    /** Memory operand: base and index registers (-1 for none), scale shift, displacement. */
    int base = -1, index = -1, scale, disp;
    int imm, imm2;
    /** Ends its block (control transfer, mode or translation change, I/O). */
    boolean endsBlock;

    boolean isMem() {
        return mod != 3;
    }

    public int length() {
        return len;
    }

    @Override
    public String toString() {
        return String.format("op=%d sub=%d forms=%d,%d,%d opcode=%x size=%d len=%d", op, sub, dst, src, src2, opcode,
                size, len);
    }
}
