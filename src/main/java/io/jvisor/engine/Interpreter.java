package io.jvisor.engine;

import io.jvisor.cpu.Alu;
import io.jvisor.cpu.Bcd;
import io.jvisor.cpu.Branch;
import io.jvisor.cpu.BitOps;
import io.jvisor.cpu.Cpu;
import io.jvisor.cpu.CpuId;
import io.jvisor.cpu.ExitReason;
import io.jvisor.cpu.FarTransfer;
import io.jvisor.cpu.Fault;
import io.jvisor.cpu.Flags;
import io.jvisor.cpu.InterruptDelivery;
import io.jvisor.cpu.MulDiv;
import io.jvisor.cpu.Segmentation;
import io.jvisor.cpu.Shifts;
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
        return c.readLin(rmwLin, size);
    }

    private void storeRmw(Insn i, int size, int v) {
        if (i.mod == 3) {
            c.setReg(i.rm, size, v);
        } else {
            c.writeLin(rmwLin, size, v);
        }
    }

    private int nextEip(Insn i, int eip) {
        int n = eip + i.len;
        return c.code32 ? n : n & 0xffff;
    }

    /** Near branch target with the operand-size wrap and the CS limit check. */
    private int branch(int target, boolean o32) {
        return Branch.near(c, target, o32);
    }

    private int countReg(boolean a32) {
        return a32 ? r[Cpu.ECX] : r[Cpu.ECX] & 0xffff;
    }

    // ------------------------------------------------------------------ execution

    void execute(Insn i) {
        final int eip = c.eip;
        final int next = nextEip(i, eip);
        final int size = i.size;
        switch (i.op) {
            case Op.NOP, Op.NOP_E -> { }
            case Op.ALU_EG -> {
                int b = c.reg(i.reg, size);
                if (i.sub == Alu.CMP) {
                    Alu.sub(c, size, readE(i, size), b);
                } else {
                    int a = loadRmw(i, size);
                    storeRmw(i, size, Alu.op(c, i.sub, size, a, b));
                }
            }
            case Op.ALU_GE -> {
                int v = Alu.op(c, i.sub, size, c.reg(i.reg, size), readE(i, size));
                if (i.sub != Alu.CMP) {
                    c.setReg(i.reg, size, v);
                }
            }
            case Op.ALU_AI -> {
                int v = Alu.op(c, i.sub, size, c.reg(Cpu.EAX, size), i.imm & Alu.mask(size));
                if (i.sub != Alu.CMP) {
                    c.setReg(Cpu.EAX, size, v);
                }
            }
            case Op.ALU_EI -> {
                int b = i.imm & Alu.mask(size);
                if (i.sub == Alu.CMP) {
                    Alu.sub(c, size, readE(i, size), b);
                } else {
                    int a = loadRmw(i, size);
                    storeRmw(i, size, Alu.op(c, i.sub, size, a, b));
                }
            }
            case Op.INC_R -> c.setReg(i.reg, size, Alu.inc(c, size, c.reg(i.reg, size)));
            case Op.DEC_R -> c.setReg(i.reg, size, Alu.dec(c, size, c.reg(i.reg, size)));
            case Op.INC_E -> storeRmw(i, size, Alu.inc(c, size, loadRmw(i, size)));
            case Op.DEC_E -> storeRmw(i, size, Alu.dec(c, size, loadRmw(i, size)));
            case Op.NOT -> storeRmw(i, size, ~loadRmw(i, size) & Alu.mask(size));
            case Op.NEG -> storeRmw(i, size, Alu.neg(c, size, loadRmw(i, size)));
            case Op.TEST_EG -> Alu.logic(c, size, readE(i, size) & c.reg(i.reg, size));
            case Op.TEST_EI -> Alu.logic(c, size, readE(i, size) & i.imm);
            case Op.TEST_AI -> Alu.logic(c, size, c.reg(Cpu.EAX, size) & i.imm);
            case Op.PUSH_R -> c.push(size, c.reg(i.reg, size));
            case Op.POP_R -> {
                int v = c.pop(size);
                c.setReg(i.reg, size, v);
            }
            case Op.PUSH_I -> c.push(size, i.imm);
            case Op.PUSH_E -> c.push(size, readE(i, size));
            case Op.POP_E -> popE(i, size);
            case Op.PUSH_SEG -> {
                if (i.sub == Cpu.CS) {
                    c.exits.inc(ExitReason.RING_ALIAS);
                }
                pushSeg(size, c.segSel[i.sub]);
            }
            case Op.POP_SEG -> {
                int sel = c.peek(size, 0) & 0xffff;
                Segmentation.load(c, i.sub, sel);
                c.setSp(c.sp() + size);
                if (i.sub == Cpu.SS) {
                    c.interruptShadow = true;
                    c.movSsShadow = true;
                }
            }
            case Op.XCHG_AR -> {
                int a = c.reg(Cpu.EAX, size);
                c.setReg(Cpu.EAX, size, c.reg(i.reg, size));
                c.setReg(i.reg, size, a);
            }
            case Op.XCHG_EG -> {
                int a = loadRmw(i, size);
                int b = c.reg(i.reg, size);
                storeRmw(i, size, b);
                c.setReg(i.reg, size, a);
            }
            case Op.MOV_RI -> c.setReg(i.reg, size, i.imm);
            case Op.MOV_EG -> writeE(i, size, c.reg(i.reg, size));
            case Op.MOV_GE -> c.setReg(i.reg, size, readE(i, size));
            case Op.MOV_EI -> writeE(i, size, i.imm);
            case Op.MOV_A_M -> c.setReg(Cpu.EAX, size, c.read(i.seg, i.a32 ? i.disp : i.disp & 0xffff, size));
            case Op.MOV_M_A -> c.write(i.seg, i.a32 ? i.disp : i.disp & 0xffff, size, c.reg(Cpu.EAX, size));
            case Op.MOV_E_SREG -> {
                if (i.reg > 5) {
                    throw Fault.ud();
                }
                if (i.reg == Cpu.CS) {
                    c.exits.inc(ExitReason.RING_ALIAS);
                }
                int sel = c.segSel[i.reg];
                if (i.mod == 3) {
                    c.setReg(i.rm, i.o32 ? 4 : 2, sel);
                } else {
                    c.write16(i.seg, ea(i), sel);
                }
            }
            case Op.MOV_SREG_E -> {
                if (i.reg > 5 || i.reg == Cpu.CS) {
                    throw Fault.ud();
                }
                Segmentation.load(c, i.reg, readE(i, 2));
                if (i.reg == Cpu.SS) {
                    c.interruptShadow = true;
                    c.movSsShadow = true;
                }
            }
            case Op.LEA -> c.setReg(i.reg, size, ea(i));
            case Op.LXS -> {
                int off = ea(i);
                int v = c.read(i.seg, off, size);
                int sel = c.read16(i.seg, off + size);
                Segmentation.load(c, i.sub, sel);
                c.setReg(i.reg, size, v);   // LSS, unlike MOV SS / POP SS, opens no interrupt shadow
            }
            case Op.DAA -> Bcd.daa(c);
            case Op.DAS -> Bcd.das(c);
            case Op.AAA -> Bcd.aaa(c);
            case Op.AAS -> Bcd.aas(c);
            case Op.AAM -> Bcd.aam(c, i.imm);
            case Op.AAD -> Bcd.aad(c, i.imm);
            case Op.SALC -> c.setReg8(0, c.cf() ? 0xff : 0);
            case Op.PUSHA -> pusha(size);
            case Op.POPA -> popa(size);
            case Op.BOUND -> {
                int off = ea(i);
                int lo = Alu.signExtend(c.read(i.seg, off, size), size);
                int hi = Alu.signExtend(c.read(i.seg, off + size, size), size);
                int v = Alu.signExtend(c.reg(i.reg, size), size);
                if (v < lo || v > hi) {
                    throw Fault.of(Fault.BR);
                }
            }
            case Op.ARPL -> {
                int d = loadRmw(i, 2);
                storeRmw(i, 2, SystemOps.arpl(c, d, c.reg(i.reg, 2)));
            }
            case Op.IMUL_GEI -> c.setReg(i.reg, size, MulDiv.imul(c, size, readE(i, size), i.imm));
            case Op.IMUL_GE -> c.setReg(i.reg, size, MulDiv.imul(c, size, c.reg(i.reg, size), readE(i, size)));
            case Op.MUL -> MulDiv.mul(c, size, readE(i, size));
            case Op.IMUL1 -> MulDiv.imul1(c, size, readE(i, size));
            case Op.DIV -> MulDiv.div(c, size, readE(i, size));
            case Op.IDIV -> MulDiv.idiv(c, size, readE(i, size));
            case Op.CBW -> Alu.cbw(c, i.o32);
            case Op.CWD -> Alu.cwd(c, i.o32);
            case Op.SAHF -> {
                int f = c.getEflags() & ~(Flags.SF | Flags.ZF | Flags.AF | Flags.PF | Flags.CF);
                c.setArithFlags(f | (c.reg8(4) & (Flags.SF | Flags.ZF | Flags.AF | Flags.PF | Flags.CF)));
            }
            case Op.LAHF -> c.setReg8(4, (c.getEflags() & 0xd5) | 2);
            case Op.CMC -> c.setFlag(Flags.CF, !c.cf());
            case Op.CLC -> c.setFlag(Flags.CF, false);
            case Op.STC -> c.setFlag(Flags.CF, true);
            case Op.CLD -> c.setFlag(Flags.DF, false);
            case Op.STD -> c.setFlag(Flags.DF, true);
            case Op.CLI -> SystemOps.cli(c);
            case Op.STI -> SystemOps.sti(c);
            case Op.PUSHF -> c.push(size, SystemOps.pushfImage(c));
            case Op.POPF -> {
                if (c.v86() && c.iopl() < 3) {
                    throw Fault.gp0();
                }
                int v = c.peek(size, 0);
                SystemOps.popf(c, v, i.o32);
                c.setSp(c.sp() + size);
            }
            case Op.MOVS, Op.CMPS, Op.STOS, Op.LODS, Op.SCAS, Op.INS, Op.OUTS -> {
                int kind = switch (i.op) {
                    case Op.MOVS -> StringOps.MOVS;
                    case Op.CMPS -> StringOps.CMPS;
                    case Op.STOS -> StringOps.STOS;
                    case Op.LODS -> StringOps.LODS;
                    case Op.SCAS -> StringOps.SCAS;
                    case Op.INS -> StringOps.INS;
                    default -> StringOps.OUTS;
                };
                // MOVS/STOS/LODS/INS/OUTS repeat on either F2 or F3 (both act as REP)
                int rep = i.rep;
                if (rep != StringOps.REP_NONE && kind != StringOps.CMPS && kind != StringOps.SCAS) {
                    rep = StringOps.REPE;
                }
                if (!StringOps.run(c, kind, size, i.a32, i.seg, rep)) {
                    return;   // more iterations: execute this instruction again
                }
            }
            case Op.SHIFT -> {
                int count = switch (i.opcode) {
                    case 0xc0, 0xc1 -> i.imm;
                    case 0xd0, 0xd1 -> 1;
                    default -> r[Cpu.ECX] & 0xff;
                };
                int a = loadRmw(i, size);
                storeRmw(i, size, Shifts.op(c, i.sub, size, a, count));
            }
            case Op.SHLD_I, Op.SHLD_CL, Op.SHRD_I, Op.SHRD_CL -> {
                int count = (i.op == Op.SHLD_I || i.op == Op.SHRD_I) ? i.imm : r[Cpu.ECX] & 0xff;
                int a = loadRmw(i, size);
                int b = c.reg(i.reg, size);
                int v = (i.op == Op.SHLD_I || i.op == Op.SHLD_CL) ? Shifts.shld(c, size, a, b, count)
                        : Shifts.shrd(c, size, a, b, count);
                storeRmw(i, size, v);
            }
            case Op.JCC -> {
                if (c.condition(i.sub)) {
                    c.eip = branch(next + i.imm, i.o32);
                    return;
                }
            }
            case Op.JMP_REL -> {
                c.eip = branch(next + i.imm, i.o32);
                return;
            }
            case Op.CALL_REL -> {
                Branch.call(c, size, i.o32, next + i.imm, next);
                return;
            }
            case Op.CALL_E -> {
                Branch.call(c, size, i.o32, readE(i, size), next);
                return;
            }
            case Op.JMP_E -> {
                c.eip = branch(readE(i, size), i.o32);
                return;
            }
            case Op.RET, Op.RET_I -> {
                Branch.ret(c, size, i.o32, i.op == Op.RET_I ? i.imm : 0);
                return;
            }
            case Op.LOOP, Op.LOOPZ, Op.LOOPNZ -> {
                int cnt = (countReg(i.a32) - 1) & (i.a32 ? -1 : 0xffff);
                boolean go = cnt != 0 && (i.op == Op.LOOP || (i.op == Op.LOOPZ) == c.zf());
                int t = go ? branch(next + i.imm, i.o32) : 0;
                if (i.a32) {
                    r[Cpu.ECX] = cnt;
                } else {
                    c.setReg(Cpu.ECX, 2, cnt);
                }
                if (go) {
                    c.eip = t;
                    return;
                }
            }
            case Op.JCXZ -> {
                if (countReg(i.a32) == 0) {
                    c.eip = branch(next + i.imm, i.o32);
                    return;
                }
            }
            case Op.JMPF_AP -> {
                FarTransfer.jmpFar(c, i.imm2, i.imm, i.o32, next);
                return;
            }
            case Op.CALLF_AP -> {
                FarTransfer.callFar(c, i.imm2, i.imm, i.o32, next);
                return;
            }
            case Op.JMPF_E, Op.CALLF_E -> {
                int off = ea(i);
                int target = c.read(i.seg, off, size);
                int sel = c.read16(i.seg, off + size);
                if (i.op == Op.JMPF_E) {
                    FarTransfer.jmpFar(c, sel, target, i.o32, next);
                } else {
                    FarTransfer.callFar(c, sel, target, i.o32, next);
                }
                return;
            }
            case Op.RETF, Op.RETF_I -> {
                FarTransfer.retFar(c, i.o32, i.op == Op.RETF_I ? i.imm : 0);
                return;
            }
            case Op.IRET -> {
                boolean wasOff = !c.interruptsEnabled();
                FarTransfer.iret(c, i.o32, next);
                if (wasOff && c.interruptsEnabled()) {
                    c.exits.inc(ExitReason.IF_TOGGLE);
                }
                return;
            }
            case Op.INT_I -> {
                if (i.sub == 1) {   // ICEBP
                    InterruptDelivery.deliver(c, Fault.DB, InterruptDelivery.EXCEPTION, false, 0, next);
                    return;
                }
                if (c.v86() && c.iopl() < 3) {
                    throw Fault.gp0();
                }
                if (i.imm == 0x80) {
                    c.exits.inc(ExitReason.SYSCALL);
                }
                InterruptDelivery.deliver(c, i.imm, InterruptDelivery.SOFTWARE, false, 0, next);
                return;
            }
            case Op.INT3 -> {
                InterruptDelivery.deliver(c, Fault.BP, InterruptDelivery.SOFTWARE_EXCEPTION, false, 0, next);
                return;
            }
            case Op.INTO -> {
                if (c.of()) {
                    InterruptDelivery.deliver(c, Fault.OF, InterruptDelivery.SOFTWARE_EXCEPTION, false, 0, next);
                    return;
                }
            }
            case Op.ENTER -> enter(size, i.imm, i.imm2 & 31);
            case Op.LEAVE -> StackOps.leave(c, size);
            case Op.XLAT -> {
                int a = (i.a32 ? r[Cpu.EBX] : r[Cpu.EBX] & 0xffff) + c.reg8(0);
                c.setReg8(0, c.read8(i.seg, i.a32 ? a : a & 0xffff));
            }
            case Op.ESC -> {
                int modrm = (i.mod << 6) | (i.reg << 3) | i.rm;
                X87.execute(c, 0xd8 + i.sub, modrm, i.seg, i.mod == 3 ? 0 : ea(i), i.o32);
            }
            case Op.WAIT -> X87.fwait(c);
            case Op.FXSAVE, Op.FXRSTOR -> {
                if (!X87.FXSR_IMPLEMENTED || (c.cr0 & Cpu.CR0_EM) != 0) {
                    throw Fault.ud();
                }
                if ((c.cr0 & Cpu.CR0_TS) != 0) {
                    throw Fault.of(Fault.NM);
                }
                if (i.op == Op.FXSAVE) {
                    X87.fxsave(c, i.seg, ea(i));
                } else {
                    X87.fxrstor(c, i.seg, ea(i));
                }
            }
            case Op.IN_I -> c.setReg(Cpu.EAX, size, SystemOps.in(c, i.imm, size));
            case Op.OUT_I -> SystemOps.out(c, i.imm, size, c.reg(Cpu.EAX, size));
            case Op.IN_D -> c.setReg(Cpu.EAX, size, SystemOps.in(c, r[Cpu.EDX] & 0xffff, size));
            case Op.OUT_D -> SystemOps.out(c, r[Cpu.EDX] & 0xffff, size, c.reg(Cpu.EAX, size));
            case Op.HLT -> {
                SystemOps.requireCpl0(c);
                c.exits.inc(ExitReason.HLT);
                c.halted = true;
            }
            case Op.CMOV -> {
                int v = readE(i, size);
                if (c.condition(i.sub)) {
                    c.setReg(i.reg, size, v);
                }
            }
            case Op.SETCC -> writeE(i, 1, c.condition(i.sub) ? 1 : 0);
            case Op.BT_EG -> btReg(i, size);
            case Op.BT_EI -> {
                int bit = i.imm & (size * 8 - 1);
                if (i.sub == BitOps.BT) {
                    BitOps.bitOp(c, BitOps.BT, size, readE(i, size), bit);
                } else {
                    storeRmw(i, size, BitOps.bitOp(c, i.sub, size, loadRmw(i, size), bit));
                }
            }
            case Op.BSF -> c.setReg(i.reg, size, BitOps.bsf(c, size, readE(i, size), c.reg(i.reg, size)));
            case Op.BSR -> c.setReg(i.reg, size, BitOps.bsr(c, size, readE(i, size), c.reg(i.reg, size)));
            case Op.BSWAP -> {
                if (i.o32) {
                    r[i.reg] = Integer.reverseBytes(r[i.reg]);
                } else {
                    c.setReg(i.reg, 2, 0);   // BSWAP r16 is undefined; P6 family clears the word
                }
            }
            case Op.MOVZX -> {
                int v = readE(i, i.sub);
                c.setReg(i.reg, size, v);
            }
            case Op.MOVSX -> c.setReg(i.reg, size, Alu.signExtend(readE(i, i.sub), i.sub));
            case Op.XADD -> {
                int d = loadRmw(i, size);
                int s = c.reg(i.reg, size);
                int sum = Alu.add(c, size, d, s);
                c.setReg(i.reg, size, d);
                storeRmw(i, size, sum);
            }
            case Op.CMPXCHG -> {
                int d = loadRmw(i, size);
                int acc = c.reg(Cpu.EAX, size);
                Alu.sub(c, size, acc, d);
                if (acc == d) {
                    storeRmw(i, size, c.reg(i.reg, size));
                } else {
                    storeRmw(i, size, d);   // the destination is always written back
                    c.setReg(Cpu.EAX, size, d);
                }
            }
            case Op.CMPXCHG8B -> {
                int off = ea(i);
                int lin = c.rmwAddr(i.seg, off, 8);
                long m = (c.readLin32(lin) & 0xffffffffL) | ((long) c.readLin32(lin + 4) << 32);
                long cmp = (r[Cpu.EAX] & 0xffffffffL) | ((long) r[Cpu.EDX] << 32);
                int f = c.getEflags() & ~Flags.ZF;
                if (m == cmp) {
                    c.writeLin32(lin, r[Cpu.EBX]);
                    c.writeLin32(lin + 4, r[Cpu.ECX]);
                    c.setArithFlags(f | Flags.ZF);
                } else {
                    c.writeLin32(lin, (int) m);
                    c.writeLin32(lin + 4, (int) (m >>> 32));
                    r[Cpu.EAX] = (int) m;
                    r[Cpu.EDX] = (int) (m >>> 32);
                    c.setArithFlags(f);
                }
            }
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
            case Op.SLDT, Op.STR -> {
                SystemOps.requireProtected(c);
                c.exits.inc(ExitReason.RING_ALIAS);
                int sel = c.segSel[i.op == Op.SLDT ? Cpu.LDTR : Cpu.TR];
                if (i.mod == 3) {
                    c.setReg(i.rm, i.o32 ? 4 : 2, sel);
                } else {
                    c.write16(i.seg, ea(i), sel);
                }
            }
            case Op.LLDT -> SystemOps.lldt(c, readEPriv(i));
            case Op.LTR -> SystemOps.ltr(c, readEPriv(i));
            case Op.VERR -> SystemOps.verr(c, readE(i, 2));
            case Op.VERW -> SystemOps.verw(c, readE(i, 2));
            case Op.SGDT -> SystemOps.storeTable(c, i.seg, ea(i), c.gdtLimit, i.o32 ? c.gdtBase : c.gdtBase & 0xffffff);
            case Op.SIDT -> SystemOps.storeTable(c, i.seg, ea(i), c.idtLimit, i.o32 ? c.idtBase : c.idtBase & 0xffffff);
            case Op.LGDT -> SystemOps.lgdt(c, i.seg, ea(i), i.o32);
            case Op.LIDT -> SystemOps.lidt(c, i.seg, ea(i), i.o32);
            case Op.SMSW -> {
                c.exits.inc(ExitReason.RING_ALIAS);
                if (i.mod == 3) {
                    c.setReg(i.rm, i.o32 ? 4 : 2, c.cr0);
                } else {
                    c.write16(i.seg, ea(i), c.cr0);
                }
            }
            case Op.LMSW -> SystemOps.lmsw(c, readEPriv(i));
            case Op.INVLPG -> {
                SystemOps.requireCpl0(c);
                int lin = c.segBase[i.seg] + ea(i);
                c.tlb.flushPage(lin >>> 12);
                c.exits.inc(ExitReason.TLB_FLUSH);
            }
            case Op.LAR -> {
                int v = SystemOps.lar(c, readE(i, 2));
                if (v != -1) {
                    c.setReg(i.reg, size, size == 2 ? v & 0xff00 : v);
                }
            }
            case Op.LSL -> {
                int v = SystemOps.lsl(c, readE(i, 2));
                if (c.zf()) {
                    c.setReg(i.reg, size, v);
                }
            }
            case Op.CLTS -> SystemOps.clts(c);
            case Op.INVD, Op.WBINVD -> SystemOps.requireCpl0(c);
            case Op.MOV_R_CR -> {
                SystemOps.requireCpl0(c);
                r[i.rm] = c.readCr(i.reg);
            }
            case Op.MOV_CR_R -> {
                SystemOps.requireCpl0(c);
                c.writeCr(i.reg, r[i.rm]);
            }
            case Op.MOV_R_DR -> {
                SystemOps.requireCpl0(c);
                r[i.rm] = c.dr[debugReg(i.reg)];
            }
            case Op.MOV_DR_R -> {
                SystemOps.requireCpl0(c);
                c.writeDebugRegister(debugReg(i.reg), r[i.rm]);
            }
            default -> throw Fault.ud();
        }
        c.eip = next;
    }

    /** LLDT, LTR, LMSW: the CPL check comes before the operand is read (SDM). */
    private int readEPriv(Insn i) {
        if (i.op != Op.LMSW) {
            SystemOps.requireProtected(c);
        }
        if (c.protectedMode() && (c.cpl != 0 || c.v86())) {
            throw Fault.gp0();
        }
        return readE(i, 2);
    }

    /** DR4/DR5 alias DR6/DR7 unless CR4.DE is set, when they are #UD (SDM 17.2.2). */
    private int debugReg(int n) {
        if (n == 4 || n == 5) {
            if ((c.cr4 & Cpu.CR4_DE) != 0) {
                throw Fault.ud();
            }
            return n + 2;
        }
        return n;
    }

    private void pushSeg(int size, int sel) {
        // a 32-bit push of a segment register writes only the low word (P6 and later)
        int nsp = c.sp() - size;
        if (!c.stack32) {
            nsp &= 0xffff;
        }
        c.write16(Cpu.SS, nsp, sel);
        c.setSp(nsp);
    }

    /** POP r/m: the address of a memory destination is computed with ESP already incremented. */
    private void popE(Insn i, int size) {
        int v = c.peek(size, 0);
        if (i.mod == 3) {
            c.setSp(c.sp() + size);
            c.setReg(i.rm, size, v);
            return;
        }
        int oldEsp = r[Cpu.ESP];
        c.setSp(c.sp() + size);
        try {
            c.write(i.seg, ea(i), size, v);
        } catch (Fault f) {
            r[Cpu.ESP] = oldEsp;
            throw f;
        }
    }

    private void pusha(int size) {
        int oldEsp = r[Cpu.ESP];
        int sp = c.sp();
        try {
            for (int n = 0; n < 8; n++) {
                c.push(size, n == Cpu.ESP ? (size == 4 ? oldEsp : sp) : c.reg(n, size));
            }
        } catch (Fault f) {
            r[Cpu.ESP] = oldEsp;
            throw f;
        }
    }

    private void popa(int size) {
        int[] v = new int[8];
        for (int n = 0; n < 8; n++) {
            v[7 - n] = c.peek(size, n * size);
        }
        for (int n = 0; n < 8; n++) {
            if (n != Cpu.ESP) {
                c.setReg(n, size, v[n]);
            }
        }
        c.setSp(c.sp() + 8 * size);
    }

    /** ENTER (SDM ENTER pseudocode) with nesting level {@code level}. */
    private void enter(int size, int alloc, int level) {
        int oldEsp = r[Cpu.ESP], oldEbp = r[Cpu.EBP];
        try {
            c.push(size, c.reg(Cpu.EBP, size));
            int frame = c.sp();
            if (level > 0) {
                int bp = c.stack32 ? r[Cpu.EBP] : r[Cpu.EBP] & 0xffff;
                for (int k = 1; k < level; k++) {
                    bp -= size;
                    if (!c.stack32) {
                        bp &= 0xffff;
                    }
                    c.push(size, c.read(Cpu.SS, bp, size));
                }
                c.push(size, frame);
            }
            // the new stack top must be writable (P6 probes it) before EBP changes
            int nsp = c.sp() - alloc;
            if (!c.stack32) {
                nsp &= 0xffff;
            }
            c.setReg(Cpu.EBP, size, frame);
            c.setSp(nsp);
        } catch (Fault f) {
            r[Cpu.ESP] = oldEsp;
            r[Cpu.EBP] = oldEbp;
            throw f;
        }
    }

    private void btReg(Insn i, int size) {
        int bitOff = c.reg(i.reg, size);
        if (i.mod == 3) {
            int bit = bitOff & (size * 8 - 1);
            int v = c.reg(i.rm, size);
            int res = BitOps.bitOp(c, i.sub, size, v, bit);
            if (i.sub != BitOps.BT) {
                c.setReg(i.rm, size, res);
            }
            return;
        }
        // memory form: the bit offset is signed and may address outside the operand (SDM BT)
        int sOff = Alu.signExtend(bitOff, size);
        int bits = size * 8;
        int addr = ea(i) + (sOff >> (size == 4 ? 5 : 4)) * size;
        if (!i.a32) {
            addr &= 0xffff;
        }
        int bit = sOff & (bits - 1);
        if (i.sub == BitOps.BT) {
            BitOps.bitOp(c, BitOps.BT, size, c.read(i.seg, addr, size), bit);
        } else {
            int lin = c.rmwAddr(i.seg, addr, size);
            int v = c.readLin(lin, size);
            c.writeLin(lin, size, BitOps.bitOp(c, i.sub, size, v, bit));
        }
    }
}
