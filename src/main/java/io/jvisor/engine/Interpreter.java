package io.jvisor.engine;

import io.jvisor.cpu.Alu;
import io.jvisor.cpu.Bcd;
import io.jvisor.cpu.Branch;
import io.jvisor.cpu.BitOps;
import io.jvisor.cpu.Cpu;
import io.jvisor.cpu.CpuId;
import io.jvisor.cpu.FarTransfer;
import io.jvisor.cpu.Fault;
import io.jvisor.cpu.Flags;
import io.jvisor.cpu.InterruptDelivery;
import io.jvisor.cpu.MulDiv;
import io.jvisor.cpu.Segmentation;
import io.jvisor.cpu.Shifts;
import io.jvisor.cpu.Simd;
import io.jvisor.cpu.StringOps;
import io.jvisor.cpu.StackOps;
import io.jvisor.cpu.SystemOps;
import io.jvisor.cpu.X87;

/**
 * Tier 0: executes one decoded instruction. This class only moves operands between
 * registers, memory and the semantic methods of the {@code cpu} package, where each
 * instruction's meaning is written once. On entry {@code cpu.eip} is the address of the
 * instruction; on normal exit it is the address of the next one (or the branch target). A
 * guest fault leaves as a {@link Fault} with {@code cpu.eip} still at the instruction.
 */
final class Interpreter {
    private final Cpu c;
    private final int[] r;
    /** Linear address of the current read-modify-write memory operand. */
    private int rmwLin;
    /** Set while a locked read-modify-write runs on a VM with several vCPUs: its operand is loaded and stored atomically. */
    private boolean locked;
    /** The registers and EFLAGS a locked instruction started from, restored when it must run again. */
    private final int[] lockedRegs = new int[8];

    Interpreter(Cpu cpu) {
        this.c = cpu;
        this.r = cpu.r;
    }

    // ------------------------------------------------------------------ operand access

    int ea(Insn i) {
        if (i.a32) {
            int a = i.disp;
            if (i.base >= 0) {
                a += r[i.base];
            }
            if (i.index >= 0) {
                a += r[i.index] << i.scale;
            }
            return a;
        }
        int a = i.disp;
        if (i.base >= 0) {
            a += r[i.base];
        }
        if (i.index >= 0) {
            a += r[i.index];
        }
        return a & 0xffff;
    }

    private int readE(Insn i, int size) {
        return i.mod == 3 ? c.reg(i.rm, size) : c.read(i.seg, ea(i), size);
    }

    /** As {@link #readE}, a memory operand at offset {@code off} rather than the ModRM address. */
    private int readEAt(Insn i, int off, int size) {
        return i.mod == 3 ? c.reg(i.rm, size) : c.read(i.seg, off, size);
    }

    private void writeE(Insn i, int size, int v) {
        if (i.mod == 3) {
            c.setReg(i.rm, size, v);
        } else {
            c.write(i.seg, ea(i), size, v);
        }
    }

    /** Loads a read-modify-write operand after proving it writable. */
    private int loadRmw(Insn i, int size) {
        if (i.mod == 3) {
            return c.reg(i.rm, size);
        }
        rmwLin = c.rmwAddr(i.seg, ea(i), size);
        return locked ? c.loadLocked(rmwLin, size) : c.readLin(rmwLin, size);
    }

    /** As {@link #loadRmw}, a memory operand at offset {@code off} rather than the ModRM address. */
    private int loadRmwAt(Insn i, int off, int size) {
        if (i.mod == 3) {
            return c.reg(i.rm, size);
        }
        rmwLin = c.rmwAddr(i.seg, off, size);
        return locked ? c.loadLocked(rmwLin, size) : c.readLin(rmwLin, size);
    }

    private void storeRmw(Insn i, int size, int v) {
        if (i.mod == 3) {
            c.setReg(i.rm, size, v);
        } else if (locked) {
            c.storeLocked(rmwLin, size, v);
        } else {
            c.writeLin(rmwLin, size, v);
        }
    }

    /** Reads an operand of form {@code kind} ({@link Operand}); an immediate is masked to the operand size. */
    private int operand(Insn i, int kind, int size) {
        return switch (kind) {
            case Operand.E -> readE(i, size);
            case Operand.G -> c.reg(i.reg, size);
            case Operand.ACC -> c.reg(Cpu.EAX, size);
            case Operand.IMM -> i.imm & Alu.mask(size);
            case Operand.ONE -> 1;
            case Operand.CL -> r[Cpu.ECX] & 0xff;
            case Operand.DX -> r[Cpu.EDX] & 0xffff;
            default -> 0;
        };
    }

    /** The destination of a read-modify-write instruction: a memory destination is proven writable first. */
    private int loadDst(Insn i, int size) {
        return i.dst == Operand.E ? loadRmw(i, size) : operand(i, i.dst, size);
    }

    /** Completes {@link #loadDst}. */
    private void storeDst(Insn i, int size, int v) {
        switch (i.dst) {
            case Operand.E -> storeRmw(i, size, v);
            case Operand.G -> c.setReg(i.reg, size, v);
            default -> c.setReg(Cpu.EAX, size, v);
        }
    }

    /** A destination that is only written (MOV, POP). */
    private void writeDst(Insn i, int size, int v) {
        if (i.dst == Operand.E) {
            writeE(i, size, v);
        } else {
            storeDst(i, size, v);
        }
    }

    /** The target of a near CALL or JMP: relative to the next instruction, or absolute from r/m. */
    private int nearTarget(Insn i, int next, int size) {
        return i.src == Operand.REL ? next + i.imm : readE(i, size);
    }

    private int nextEip(Insn i, int eip) {
        int n = eip + i.len;
        return c.code32 ? n : n & 0xffff;
    }

    /** Near branch target with the operand-size wrap and the CS limit check. */
    private int branch(int target, boolean o32) {
        return Branch.near(c, target, o32);
    }

    // ------------------------------------------------------------------ execution

    /** Set while {@link #executeToEnd} runs: string instructions run all their iterations. */
    private boolean toEnd;

    /**
     * Executes one instruction to its end, a repeated string instruction with all its
     * iterations (debuggers and per-instruction test vectors; the dispatcher uses
     * {@link #execute}, which runs them a batch at a time).
     */
    void executeToEnd(Insn i) {
        toEnd = true;
        try {
            execute(i);
        } finally {
            toEnd = false;
        }
    }

    void execute(Insn i) {
        if (i.atomic && c.smp) {
            executeLocked(i);
        } else {
            run(i);
        }
    }

    /**
     * A locked read-modify-write on a VM with several vCPUs: the operand is loaded, the
     * result computed by the instruction's usual semantics, and stored with a
     * compare-and-set against the loaded value; if another vCPU changed the operand in
     * between, the registers and flags are put back and the instruction runs again. Other
     * effects happen only after the store (EIP), so a retry is invisible.
     */
    private void executeLocked(Insn i) {
        System.arraycopy(r, 0, lockedRegs, 0, 8);
        int flags = c.getEflags();
        while (true) {
            locked = true;
            try {
                run(i);
                return;
            } catch (Cpu.LockRetry retry) {
                System.arraycopy(lockedRegs, 0, r, 0, 8);
                c.setArithFlags(flags);
                Thread.onSpinWait();
            } finally {
                locked = false;
            }
        }
    }

    private void run(Insn i) {
        final int eip = c.eip;
        final int next = nextEip(i, eip);
        final int size = i.size;
        switch (i.op) {
            case Op.NOP, Op.NOP_E -> { }
            case Op.FENCE -> c.fence();
            case Op.SIMD -> {
                int off = (i.sub & SimdTable.IMPLICIT_DI) != 0 ? (i.a32 ? r[Cpu.EDI] : r[Cpu.EDI] & 0xffff)
                        : i.mod == 3 ? 0 : ea(i);
                Simd.execute(c, i.sub & SimdTable.ID_BITS, i.reg, i.mod == 3 ? i.rm : -1, i.seg, off, i.imm);
            }
            case Op.ALU -> {
                if (i.sub == Alu.CMP) {
                    Alu.sub(c, size, operand(i, i.dst, size), operand(i, i.src, size));
                } else {
                    int a = loadDst(i, size);
                    storeDst(i, size, Alu.op(c, i.sub, size, a, operand(i, i.src, size)));
                }
            }
            case Op.INC -> storeDst(i, size, Alu.inc(c, size, loadDst(i, size)));
            case Op.DEC -> storeDst(i, size, Alu.dec(c, size, loadDst(i, size)));
            case Op.NOT -> storeDst(i, size, Alu.not(size, loadDst(i, size)));
            case Op.NEG -> storeDst(i, size, Alu.neg(c, size, loadDst(i, size)));
            case Op.TEST -> Alu.logic(c, size, operand(i, i.dst, size) & operand(i, i.src, size));
            case Op.PUSH -> c.push(size, operand(i, i.src, size));
            case Op.POP -> {
                if (i.isMem()) {
                    StackOps.popMem(c, size, i.seg, eaAfterPop(i, size));
                } else {
                    writeDst(i, size, c.pop(size));
                }
            }
            case Op.PUSH_SEG -> StackOps.pushSeg(c, i.sub, size);
            case Op.POP_SEG -> StackOps.popSeg(c, i.sub, size);
            case Op.XCHG -> {
                int a = loadDst(i, size);
                storeDst(i, size, operand(i, i.src, size));
                c.setReg(i.reg, size, a);
            }
            case Op.MOV -> writeDst(i, size, operand(i, i.src, size));
            case Op.MOV_E_SREG -> writeWordE(i, Segmentation.movFromSreg(c, i.reg));
            case Op.MOV_SREG_E -> {
                Segmentation.checkMovToSreg(i.reg);   // #UD before the operand is read
                Segmentation.movToSreg(c, i.reg, readE(i, 2));
            }
            case Op.LEA -> c.setReg(i.reg, size, ea(i));
            case Op.LXS -> {
                int off = ea(i);
                int v = c.read(i.seg, off, size);
                Segmentation.loadFarPointer(c, i.sub, i.reg, size, v, c.read16(i.seg, off + size));
            }
            case Op.DAA -> Bcd.daa(c);
            case Op.DAS -> Bcd.das(c);
            case Op.AAA -> Bcd.aaa(c);
            case Op.AAS -> Bcd.aas(c);
            case Op.AAM -> Bcd.aam(c, i.imm);
            case Op.AAD -> Bcd.aad(c, i.imm);
            case Op.SALC -> Alu.salc(c);
            case Op.PUSHA -> StackOps.pusha(c, size);
            case Op.POPA -> StackOps.popa(c, size);
            case Op.BOUND -> {
                int off = ea(i);
                int lo = c.read(i.seg, off, size);
                Alu.bound(size, c.reg(i.reg, size), lo, c.read(i.seg, off + size, size));
            }
            case Op.ARPL -> {
                int d = loadRmw(i, 2);
                storeRmw(i, 2, SystemOps.arpl(c, d, c.reg(i.reg, 2)));
            }
            case Op.IMUL2 -> c.setReg(i.reg, size, MulDiv.imul(c, size, operand(i, i.src, size), operand(i, i.src2, size)));
            case Op.MUL -> MulDiv.mul(c, size, operand(i, i.src, size));
            case Op.IMUL1 -> MulDiv.imul1(c, size, operand(i, i.src, size));
            case Op.DIV -> MulDiv.div(c, size, operand(i, i.src, size));
            case Op.IDIV -> MulDiv.idiv(c, size, operand(i, i.src, size));
            case Op.CBW -> Alu.cbw(c, i.o32);
            case Op.CWD -> Alu.cwd(c, i.o32);
            case Op.SAHF -> SystemOps.sahf(c);
            case Op.LAHF -> SystemOps.lahf(c);
            case Op.CMC -> c.setFlag(Flags.CF, !c.cf());
            case Op.CLC -> c.setFlag(Flags.CF, false);
            case Op.STC -> c.setFlag(Flags.CF, true);
            case Op.CLD -> c.setFlag(Flags.DF, false);
            case Op.STD -> c.setFlag(Flags.DF, true);
            case Op.CLI -> SystemOps.cli(c);
            case Op.STI -> SystemOps.sti(c);
            case Op.PUSHF -> c.push(size, SystemOps.pushfImage(c));
            case Op.POPF -> StackOps.popf(c, size, i.o32);
            case Op.MOVS, Op.CMPS, Op.STOS, Op.LODS, Op.SCAS, Op.INS, Op.OUTS -> {
                int kind = stringKind(i.op);
                if (!(toEnd ? StringOps.runToEnd(c, kind, size, i.a32, i.seg, i.rep)
                        : StringOps.run(c, kind, size, i.a32, i.seg, i.rep))) {
                    return;   // more iterations: EIP stays, the dispatcher runs this instruction again
                }
            }
            case Op.SHIFT -> {
                int count = operand(i, i.src, size);
                int a = loadDst(i, size);
                storeDst(i, size, Shifts.op(c, i.sub, size, a, count));
            }
            case Op.SHLD -> {
                int a = loadDst(i, size);
                storeDst(i, size, Shifts.shld(c, size, a, operand(i, i.src, size), operand(i, i.src2, size)));
            }
            case Op.SHRD -> {
                int a = loadDst(i, size);
                storeDst(i, size, Shifts.shrd(c, size, a, operand(i, i.src, size), operand(i, i.src2, size)));
            }
            case Op.JCC -> {
                if (c.condition(i.sub)) {
                    c.eip = branch(next + i.imm, i.o32);
                    return;
                }
            }
            case Op.JMP -> {
                c.eip = branch(nearTarget(i, next, size), i.o32);
                return;
            }
            case Op.CALL -> {
                Branch.call(c, size, i.o32, nearTarget(i, next, size), next);
                return;
            }
            case Op.RET -> {
                Branch.ret(c, size, i.o32, operand(i, i.src, size));
                return;
            }
            case Op.LOOP -> {
                if (Branch.loop(c, i.sub, i.a32, i.o32, next + i.imm)) {
                    return;
                }
            }
            case Op.JCXZ -> {
                if (Branch.jcxz(c, i.a32, i.o32, next + i.imm)) {
                    return;
                }
            }
            case Op.JMPF, Op.CALLF -> {
                if (i.src == Operand.IMM) {   // the pointer is in the instruction (EA, 9A)
                    if (i.op == Op.JMPF) {
                        FarTransfer.jmpFar(c, i.imm2, i.imm, i.o32, next);
                    } else {
                        FarTransfer.callFar(c, i.imm2, i.imm, i.o32, next);
                    }
                } else {
                    FarTransfer.farIndirect(c, i.op == Op.CALLF, i.seg, ea(i), size, i.o32, next);
                }
                return;
            }
            case Op.RETF -> {
                FarTransfer.retFar(c, i.o32, operand(i, i.src, size));
                return;
            }
            case Op.IRET -> {
                FarTransfer.iret(c, i.o32, next);
                return;
            }
            case Op.INT_I -> {
                InterruptDelivery.softwareInterrupt(c, i.sub == 1, i.imm, next);   // sub 1: INT1 / ICEBP
                return;
            }
            case Op.INT3 -> {
                InterruptDelivery.deliver(c, Fault.BP, InterruptDelivery.SOFTWARE_EXCEPTION, false, 0, next);
                return;
            }
            case Op.INTO -> {
                if (InterruptDelivery.into(c, next)) {
                    return;
                }
            }
            case Op.ENTER -> StackOps.enter(c, size, i.imm, i.imm2);
            case Op.LEAVE -> StackOps.leave(c, size);
            case Op.XLAT -> Alu.xlat(c, i.a32, i.seg);
            case Op.ESC -> {
                int modrm = (i.mod << 6) | (i.reg << 3) | i.rm;
                X87.execute(c, 0xd8 + i.sub, modrm, i.seg, i.mod == 3 ? 0 : ea(i), i.o32);
            }
            case Op.WAIT -> X87.fwait(c);
            case Op.FXSAVE, Op.FXRSTOR -> X87.fxsaveOrRestore(c, i.op == Op.FXRSTOR, i.seg, ea(i));
            case Op.IN -> c.setReg(Cpu.EAX, size, SystemOps.in(c, operand(i, i.src, size), size));
            case Op.OUT -> SystemOps.out(c, operand(i, i.dst, size), size, operand(i, i.src, size));
            case Op.HLT -> SystemOps.hlt(c);
            case Op.CMOV -> {
                int v = readE(i, size);
                if (c.condition(i.sub)) {
                    c.setReg(i.reg, size, v);
                }
            }
            case Op.SETCC -> writeE(i, 1, c.condition(i.sub) ? 1 : 0);
            case Op.BT -> {
                int bit = operand(i, i.src, size);
                // a register bit offset may address beyond a memory operand
                int off = i.mod == 3 ? 0 : i.src == Operand.IMM ? ea(i) : BitOps.memOperandOffset(size, bit, ea(i), i.a32);
                if (i.sub == BitOps.BT) {
                    BitOps.bitOp(c, BitOps.BT, size, readEAt(i, off, size), bit);
                } else {
                    storeRmw(i, size, BitOps.bitOp(c, i.sub, size, loadRmwAt(i, off, size), bit));
                }
            }
            case Op.BSF -> c.setReg(i.reg, size, BitOps.bsf(c, size, readE(i, size), c.reg(i.reg, size)));
            case Op.BSR -> c.setReg(i.reg, size, BitOps.bsr(c, size, readE(i, size), c.reg(i.reg, size)));
            case Op.BSWAP -> c.setReg(i.reg, i.o32 ? 4 : 2, BitOps.bswap(r[i.reg], i.o32));
            case Op.MOVZX -> {
                int v = readE(i, i.sub);
                c.setReg(i.reg, size, v);
            }
            case Op.MOVSX -> c.setReg(i.reg, size, Alu.signExtend(readE(i, i.sub), i.sub));
            case Op.XADD -> storeRmw(i, size, Alu.xadd(c, size, i.reg, loadRmw(i, size)));
            case Op.CMPXCHG -> {
                int d = loadRmw(i, size);
                storeRmw(i, size, Alu.cmpxchg(c, size, c.reg(Cpu.EAX, size), d, c.reg(i.reg, size)));
            }
            case Op.CMPXCHG8B -> Alu.cmpxchg8b(c, i.seg, ea(i), locked);
            case Op.CPUID -> CpuId.execute(c);
            case Op.RDTSC -> SystemOps.rdtsc(c);
            case Op.RDPMC -> SystemOps.rdpmc(c);
            case Op.RDMSR -> SystemOps.rdmsr(c);
            case Op.WRMSR -> SystemOps.wrmsr(c);
            case Op.SYSENTER -> {
                SystemOps.sysenter(c);
                return;
            }
            case Op.SYSEXIT -> {
                SystemOps.sysexit(c);
                return;
            }
            case Op.SLDT, Op.STR -> writeWordE(i, SystemOps.storeSystemSelector(c, i.op == Op.SLDT ? Cpu.LDTR : Cpu.TR));
            case Op.LLDT -> SystemOps.lldt(c, readEPriv(i));
            case Op.LTR -> SystemOps.ltr(c, readEPriv(i));
            case Op.VERR -> SystemOps.verr(c, readE(i, 2));
            case Op.VERW -> SystemOps.verw(c, readE(i, 2));
            case Op.SGDT -> SystemOps.storeTable(c, i.seg, ea(i), c.gdtLimit, i.o32 ? c.gdtBase : c.gdtBase & 0xffffff);
            case Op.SIDT -> SystemOps.storeTable(c, i.seg, ea(i), c.idtLimit, i.o32 ? c.idtBase : c.idtBase & 0xffffff);
            case Op.LGDT -> SystemOps.lgdt(c, i.seg, ea(i), i.o32);
            case Op.LIDT -> SystemOps.lidt(c, i.seg, ea(i), i.o32);
            case Op.SMSW -> writeWordE(i, SystemOps.smsw(c));
            case Op.LMSW -> SystemOps.lmsw(c, readEPriv(i));
            case Op.INVLPG -> SystemOps.invlpg(c, i.seg, ea(i));
            case Op.LAR -> c.setReg(i.reg, size, SystemOps.lar(c, readE(i, 2), size, c.reg(i.reg, size)));
            case Op.LSL -> c.setReg(i.reg, size, SystemOps.lsl(c, readE(i, 2), c.reg(i.reg, size)));
            case Op.CLTS -> SystemOps.clts(c);
            case Op.INVD, Op.WBINVD -> SystemOps.requireCpl0(c);
            case Op.MOV_R_CR -> r[i.rm] = SystemOps.movFromCr(c, i.reg);
            case Op.MOV_CR_R -> SystemOps.movToCr(c, i.reg, r[i.rm]);
            case Op.MOV_R_DR -> r[i.rm] = SystemOps.movFromDr(c, i.reg);
            case Op.MOV_DR_R -> SystemOps.movToDr(c, i.reg, r[i.rm]);
            default -> throw Fault.ud();
        }
        c.eip = next;
    }

    /** LLDT, LTR, LMSW: the source word, read only after the mode and CPL checks. */
    private int readEPriv(Insn i) {
        SystemOps.checkSystemLoad(c, i.op != Op.LMSW);
        return readE(i, 2);
    }

    /**
     * The r/m destination of MOV r/m, Sreg, SLDT, STR and SMSW: a register takes the whole
     * value at the operand size (a selector is zero-extended), memory always just the word.
     */
    private void writeWordE(Insn i, int v) {
        if (i.mod == 3) {
            c.setReg(i.rm, i.o32 ? 4 : 2, v);
        } else {
            c.write16(i.seg, ea(i), v);
        }
    }

    /** POP m: the destination address is formed with ESP already incremented by the pop (SDM POP). */
    private int eaAfterPop(Insn i, int size) {
        int oldEsp = r[Cpu.ESP];
        c.setSp(c.sp() + size);
        int off = ea(i);
        r[Cpu.ESP] = oldEsp;
        return off;
    }

    /** The {@link StringOps} operation of a string instruction's op id. */
    static int stringKind(int op) {
        return switch (op) {
            case Op.MOVS -> StringOps.MOVS;
            case Op.CMPS -> StringOps.CMPS;
            case Op.STOS -> StringOps.STOS;
            case Op.LODS -> StringOps.LODS;
            case Op.SCAS -> StringOps.SCAS;
            case Op.INS -> StringOps.INS;
            default -> StringOps.OUTS;
        };
    }

    static boolean isString(int op) {
        return op == Op.MOVS || op == Op.CMPS || op == Op.STOS || op == Op.LODS || op == Op.SCAS
                || op == Op.INS || op == Op.OUTS;
    }
}
