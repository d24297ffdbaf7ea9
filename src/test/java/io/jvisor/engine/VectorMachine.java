package io.jvisor.engine;

import io.jvisor.cpu.Cpu;
import io.jvisor.memory.IoBus;
import io.jvisor.memory.PhysicalMemory;

import java.util.HexFormat;

/**
 * The machine the vector replayers ({@link Vectors32Test}, {@link VectorsSimdTest}) run one
 * captured instruction on: flat 32-bit protected mode at CPL 3 with a GDT (ring 0 and ring 3
 * code and data, a TSS), an IDT whose 32 gates lead to HLT stubs, the code at {@link #CODE},
 * and the two 64-byte memory windows of the line format (tools/vectors/README.md). Loads a
 * line's common fields (code, general registers, EFLAGS, windows) and compares the common
 * results (vector, EIP delta, registers, flags, windows).
 */
final class VectorMachine {
    static final int CODE = 0x1000, DATA = 0x200000, STACK = 0x300000;
    static final int GDT = 0x100000, IDT = 0x101000, TSS = 0x102000, HANDLERS = 0x103000, STACK0 = 0x180000;
    private static final String[] NAMES = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};

    final PhysicalMemory mem = new PhysicalMemory(4L << 20);
    final Cpu cpu = new Cpu(mem, new IoBus());
    final ExecutionEngine engine = new ExecutionEngine(cpu);

    /** Resets the vCPU into the flat CPL 3 environment. */
    void enterUserMode() {
        cpu.reset();
        // GDT: null, code0, data0, code3, data3, TSS
        long[] gdt = {0, 0x00cf9b000000ffffL, 0x00cf93000000ffffL, 0x00cffb000000ffffL, 0x00cff3000000ffffL,
            0x0000890000000067L | ((long) (TSS & 0xffffff) << 16)};
        for (int i = 0; i < gdt.length; i++) {
            mem.write64(GDT + 8L * i, gdt[i]);
        }
        for (int v = 0; v < 32; v++) {
            int h = HANDLERS + v * 4;
            mem.write8(h, 0xf4);
            mem.write32(IDT + 8L * v, (h & 0xffff) | (0x08 << 16));
            mem.write32(IDT + 8L * v + 4, (h & 0xffff0000) | 0xee00);
        }
        mem.write32(TSS + 4, STACK0);
        mem.write32(TSS + 8, 0x10);
        mem.write16(TSS + 0x66, 0x68);
        cpu.gdtBase = GDT;
        cpu.gdtLimit = 6 * 8 - 1;
        cpu.idtBase = IDT;
        cpu.idtLimit = 32 * 8 - 1;
        cpu.writeCr(0, cpu.cr0 | Cpu.CR0_PE);
        cpu.setSegmentCache(Cpu.TR, 0x28, TSS, 0x67, 0x8b);
        cpu.setCpl(3);
        cpu.setSegmentCache(Cpu.CS, 0x1b, 0, -1, 0xc0fb);
        for (int s : new int[] {Cpu.SS, Cpu.DS, Cpu.ES, Cpu.FS, Cpu.GS}) {
            cpu.setSegmentCache(s, 0x23, 0, -1, 0xc0f3);
        }
    }

    /** Fields 1-12 of a line: the code (INT3 after it), EAX..EDI, EFLAGS, the two windows; EIP at the code. */
    void load(String[] f) {
        byte[] code = HexFormat.of().parseHex(f[0]);
        for (int i = 0; i < 4096; i++) {
            mem.write8(CODE + i, i < code.length ? code[i] : 0xcc);
        }
        byte[] data = HexFormat.of().parseHex(f[10]);
        byte[] stack = HexFormat.of().parseHex(f[11]);
        for (int i = 0; i < 64; i++) {
            mem.write8(DATA + i, data[i]);
            mem.write8(STACK + i, stack[i]);
        }
        for (int k = 0; k < 8; k++) {
            cpu.r[k] = hex(f[1 + k]);
        }
        cpu.setEflags(hex(f[9]));
        cpu.eip = CODE;
    }

    /** Compares the vector, EIP delta, the registers and flags the line's masks select (fields 13-20, 24-27). */
    static void compareRegisters(String[] f, int vector, int eip, int[] regs, int flags, StringBuilder d) {
        int expVector = Integer.parseInt(f[24], 16);
        int expDelta = Integer.parseInt(f[23], 16);
        if (vector != expVector) {
            d.append(" vector=").append(vector).append(" (expected ").append(expVector).append(')');
        }
        if (eip - CODE != expDelta) {
            d.append(String.format(" eipdelta=%x (expected %x)", eip - CODE, expDelta));
        }
        int regMask = hex(f[26]);
        for (int k = 0; k < 8; k++) {
            int exp = hex(f[12 + k]);
            if ((regMask & (1 << k)) != 0 && regs[k] != exp) {
                d.append(String.format(" %s=%08x (expected %08x)", NAMES[k], regs[k], exp));
            }
        }
        int flagMask = hex(f[25]);
        int expFlags = hex(f[20]);
        if (((flags ^ expFlags) & flagMask) != 0) {
            d.append(String.format(" eflags=%08x (expected %08x, mask %x)", flags, expFlags, flagMask));
        }
    }

    /** Compares the two memory windows with fields 22 and 23. */
    void compareWindows(String[] f, StringBuilder d) {
        byte[] expData = HexFormat.of().parseHex(f[21]);
        byte[] expStack = HexFormat.of().parseHex(f[22]);
        for (int i = 0; i < 64; i++) {
            if ((byte) mem.read8(DATA + i) != expData[i]) {
                d.append(String.format(" [data+%x]=%02x (expected %02x)", i, mem.read8(DATA + i), expData[i]));
            }
            if ((byte) mem.read8(STACK + i) != expStack[i]) {
                d.append(String.format(" [stack+%x]=%02x (expected %02x)", i, mem.read8(STACK + i), expStack[i]));
            }
        }
    }

    static int hex(String s) {
        return Integer.parseUnsignedInt(s, 16);
    }
}
