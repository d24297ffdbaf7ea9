package io.jvisor.engine;

/**
 * Operand forms of the opcode table (SDM Vol. 2 Appendix A.2 addressing methods): where an
 * instruction's destination and sources come from. The decoder copies them into
 * {@link Insn#dst}, {@link Insn#src} and {@link Insn#src2}; both tiers read operands through
 * them, so one execution id serves every form of an instruction (ADD r/m,r; ADD r,r/m;
 * ADD EAX,imm; ADD r/m,imm are all {@link Op#ALU}).
 */
final class Operand {
    private Operand() { }

    /** No operand of this kind; it reads as 0 (RET without an immediate releases no bytes). */
    static final int NONE = 0;
    /** ModRM r/m (SDM "E"): a register or a memory operand; a moffs (A0-A3) is decoded as memory too. */
    static final int E = 1;
    /** A general register: ModRM.reg (SDM "G") or the opcode's low three bits ("+r"). */
    static final int G = 2;
    /** The accumulator: AL, AX or EAX. */
    static final int ACC = 3;
    /** The immediate, masked to the operand size. */
    static final int IMM = 4;
    /** The constant 1 (shift and rotate by one, D0/D1). */
    static final int ONE = 5;
    /** CL (shift and rotate counts). */
    static final int CL = 6;
    /** DX (I/O port numbers). */
    static final int DX = 7;
    /** A branch displacement relative to the next instruction (SDM "J"). */
    static final int REL = 8;
}
