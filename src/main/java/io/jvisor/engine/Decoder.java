package io.jvisor.engine;

import io.jvisor.cpu.Cpu;
import io.jvisor.cpu.Fault;
import io.jvisor.cpu.StringOps;

import static io.jvisor.engine.OpcodeTable.*;

/**
 * Table-driven x86 decoder: prefixes, then the opcode through {@link OpcodeTable}, ModRM and
 * SIB, displacement and immediate (SDM Vol. 2 ch. 2). Reads code through the CPU's fetch
 * path (CS limit and paging checks apply), and raises #GP for instructions longer than 15
 * bytes. Undefined encodings decode to {@link Op#UD}, which raises #UD when executed.
 */
final class Decoder {
    private final Cpu cpu;
    private int pos;
    private int start;
    private boolean code32;

    Decoder(Cpu cpu) {
        this.cpu = cpu;
    }

    private int next8() {
        if (pos - start >= 15) {
            throw Fault.gp0();   // SDM 2.3.11: instruction longer than 15 bytes
        }
        int eip = code32 ? pos : pos & 0xffff;
        int b = cpu.fetchCode8(eip);
        pos++;
        return b;
    }

    private int next16() {
        int lo = next8();
        return lo | next8() << 8;
    }

    private int next32() {
        int lo = next16();
        return lo | next16() << 16;
    }

    /** Decodes the instruction at CS:{@code eip}. */
    Insn decode(int eip) {
        code32 = cpu.code32;
        start = eip;
        pos = eip;
        Insn i = new Insn();
        boolean o32 = code32, a32 = code32;
        int seg = -1;
        int rep = StringOps.REP_NONE;
        boolean lock = false;
        int b;
        while (true) {
            b = next8();
            switch (b) {
                case 0x26 -> seg = Cpu.ES;
                case 0x2e -> seg = Cpu.CS;
                case 0x36 -> seg = Cpu.SS;
                case 0x3e -> seg = Cpu.DS;
                case 0x64 -> seg = Cpu.FS;
                case 0x65 -> seg = Cpu.GS;
                case 0x66 -> o32 = !code32;
                case 0x67 -> a32 = !code32;
                case 0xf0 -> lock = true;
                case 0xf2 -> rep = StringOps.REPNE;
                case 0xf3 -> rep = StringOps.REPE;
                default -> {
                    break;
                }
            }
            if (!(b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65 || b == 0x66 || b == 0x67
                    || b == 0xf0 || b == 0xf2 || b == 0xf3)) {
                break;
            }
        }
        int opcode = b;
        if (b == 0x0f) {
            opcode = 0x100 | next8();
        }
        long entry = MAP[opcode];
        i.opcode = opcode;
        i.o32 = o32;
        i.a32 = a32;
        i.rep = rep;
        i.lock = lock;
        if (opcode >= 0x100 && SimdTable.handles(opcode & 0xff)) {
            int pfx = SimdTable.prefix(o32 != code32, rep == StringOps.REPE, rep == StringOps.REPNE);
            int[][] map = SimdTable.MAP;
            int b2 = opcode & 0xff;
            if (b2 == 0x38 || b2 == 0x3a) {   // three-byte opcodes
                map = b2 == 0x38 ? SimdTable.MAP38 : SimdTable.MAP3A;
                b2 = next8();
            }
            decodeSimd(i, map[pfx][b2], pfx, seg);
            i.len = pos - start;
            return i;
        }
        boolean defaultSs = false;
        if ((entry & MODRM) != 0) {
            int m = next8();
            i.mod = m >>> 6;
            i.reg = (m >>> 3) & 7;
            i.rm = m & 7;
            if ((entry & FORCE_REG) != 0) {
                i.mod = 3;
            }
            if ((entry & GROUP) != 0) {
                int g = sub(entry) + ((entry & SPLIT_GROUP) != 0 && i.mod != 3 ? 1 : 0);
                entry = (entry & ~0xffffL & ~GROUP & ~SPLIT_GROUP) | GROUPS[g][i.reg];
            }
            if (i.mod != 3) {
                defaultSs = a32 ? decodeModrm32(i) : decodeModrm16(i);
            }
        }
        i.op = op(entry);
        i.sub = sub(entry);
        i.dst = dst(entry);
        i.src = src(entry);
        i.src2 = src2(entry);
        if ((entry & REG_IN_OPCODE) != 0) {
            i.reg = opcode & 7;
        }
        i.size = (entry & BYTE) != 0 ? 1 : o32 ? 4 : 2;
        i.seg = seg >= 0 ? seg : defaultSs ? Cpu.SS : Cpu.DS;
        i.endsBlock = (entry & END) != 0;
        switch (imm(entry)) {
            case I_B -> i.imm = next8();
            case I_BS -> i.imm = (byte) next8();
            case I_W -> i.imm = next16();
            case I_Z -> i.imm = o32 ? next32() : (short) next16();
            case I_V -> i.imm = o32 ? next32() : next16();
            case I_MOFFS -> {   // a memory operand with only a displacement: the E operand of A0-A3
                i.disp = a32 ? next32() : next16();
                i.mod = 0;
            }
            case I_PTR -> {
                i.imm = o32 ? next32() : next16();
                i.imm2 = next16();
            }
            case I_WB -> {
                i.imm = next16();
                i.imm2 = next8();
            }
            default -> { }
        }
        if ((entry & MEM_ONLY) != 0 && i.mod == 3 || (entry & REG_ONLY) != 0 && i.mod != 3) {
            i.op = Op.UD;
            i.endsBlock = true;
        }
        // SDM: LOCK is #UD unless the instruction is lockable and its destination is memory
        if (lock && ((entry & LOCKABLE) == 0 || !i.isMem())) {
            i.op = Op.UD;
            i.endsBlock = true;
        }
        // XCHG with memory locks the bus without the prefix (SDM XCHG); BT (a read) needs no lock
        i.atomic = i.op != Op.UD && i.isMem() && (lock || i.op == Op.XCHG);
        i.len = pos - start;
        return i;
    }

    /** The rest of an instruction of {@link SimdTable} (the prefixes and opcode are read). */
    private void decodeSimd(Insn i, int entry, int pfx, int seg) {
        boolean defaultSs = false;
        i.rep = StringOps.REP_NONE;   // F2/F3 were the mandatory prefix
        if ((entry & SimdTable.NO_MODRM) == 0) {
            int m = next8();
            i.mod = m >>> 6;
            i.reg = (m >>> 3) & 7;
            i.rm = m & 7;
            if ((entry & SimdTable.GROUP) != 0) {
                entry = SimdTable.GROUPS[entry & 0xf][pfx][i.reg];
            }
            if (i.mod != 3) {
                defaultSs = i.a32 ? decodeModrm32(i) : decodeModrm16(i);
            }
        }
        i.seg = seg >= 0 ? seg : defaultSs ? Cpu.SS : Cpu.DS;
        i.size = 4;
        if ((entry & SimdTable.IMM8) != 0) {
            i.imm = next8();
        }
        if (entry == 0 || (entry & SimdTable.MEM_ONLY) != 0 && i.mod == 3
                || (entry & SimdTable.REG_ONLY) != 0 && i.mod != 3 || i.lock) {
            i.op = Op.UD;
            i.endsBlock = true;
            return;
        }
        i.op = Op.SIMD;
        i.sub = entry & (SimdTable.ID_BITS | SimdTable.IMPLICIT_DI);
    }

    private boolean decodeModrm16(Insn i) {
        boolean ss = false;
        switch (i.rm) {
            case 0 -> { i.base = Cpu.EBX; i.index = Cpu.ESI; }
            case 1 -> { i.base = Cpu.EBX; i.index = Cpu.EDI; }
            case 2 -> { i.base = Cpu.EBP; i.index = Cpu.ESI; ss = true; }
            case 3 -> { i.base = Cpu.EBP; i.index = Cpu.EDI; ss = true; }
            case 4 -> i.base = Cpu.ESI;
            case 5 -> i.base = Cpu.EDI;
            case 6 -> {
                if (i.mod == 0) {
                    i.base = -1;
                } else {
                    i.base = Cpu.EBP;
                    ss = true;
                }
            }
            default -> i.base = Cpu.EBX;
        }
        if (i.mod == 0 && i.rm == 6) {
            i.disp = next16();
        } else if (i.mod == 1) {
            i.disp = (byte) next8();
        } else if (i.mod == 2) {
            i.disp = (short) next16();
        }
        return ss;
    }

    private boolean decodeModrm32(Insn i) {
        boolean ss = false;
        if (i.rm == 4) {
            int sib = next8();
            i.scale = sib >>> 6;
            int idx = (sib >>> 3) & 7;
            i.index = idx == 4 ? -1 : idx;
            int base = sib & 7;
            if (base == 5 && i.mod == 0) {
                i.base = -1;
                i.disp = next32();
            } else {
                i.base = base;
                ss = base == Cpu.ESP || base == Cpu.EBP;
            }
        } else if (i.rm == 5 && i.mod == 0) {
            i.base = -1;
            i.disp = next32();
        } else {
            i.base = i.rm;
            ss = i.rm == Cpu.EBP;
        }
        if (i.mod == 1) {
            i.disp = (byte) next8();
        } else if (i.mod == 2) {
            i.disp = next32();
        }
        return ss;
    }
}
