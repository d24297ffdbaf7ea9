package io.jvisor.cpu;

import io.jvisor.memory.IoBus;
import io.jvisor.memory.PhysicalMemory;
import org.junit.jupiter.api.BeforeEach;

import static org.junit.jupiter.api.Assertions.assertThrows;

/** A vCPU with 1 MiB of memory and helpers that run x87 instructions on it, for the x87 tests. */
abstract class X87Fixture {
    // status word bits
    static final int IE = 1, DE = 2, ZE = 4, OE = 8, UE = 0x10, PE = 0x20, SF = 0x40, ES = 0x80;
    static final int C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000, B = 0x8000, CC = C0 | C1 | C2 | C3;
    static final int RC_NEAREST = 0x037f, RC_DOWN = 0x077f, RC_UP = 0x0b7f, RC_ZERO = 0x0f7f;
    /** Precision control 53 bits (PC = 10): the same control words computing at double precision. */
    static final int PC53 = ~0x100;
    static final long INDEF_M = 0xC000_0000_0000_0000L;
    static final long INT_BIT = 1L << 63;

    PhysicalMemory mem;
    Cpu cpu;
    Fpu f;

    @BeforeEach
    void setUp() {
        mem = new PhysicalMemory(1 << 20);
        cpu = new Cpu(mem, new IoBus());
        f = cpu.fpu;
    }

    // ---- instruction helpers

    /** Memory form: opcode, reg field, operand at DS:addr (16-bit operand size). */
    void m(int op, int reg, int addr) {
        X87.execute(cpu, op, (reg << 3) | 6, Cpu.DS, addr, false);
    }

    /** Memory form with 32-bit operand size (28/108-byte environment layouts). */
    void m32(int op, int reg, int addr) {
        X87.execute(cpu, op, (reg << 3) | 6, Cpu.DS, addr, true);
    }

    /** Register form: opcode and full ModRM byte. */
    void r(int op, int modrm) {
        X87.execute(cpu, op, modrm, Cpu.DS, 0, false);
    }

    void fld(double d) {
        mem.write64(0x100, Double.doubleToRawLongBits(d));
        m(0xDD, 0, 0x100);
    }

    void fld80(int se, long mant) {
        put80(0x110, se, mant);
        m(0xDB, 5, 0x110);
    }

    void fildq(long v) {
        mem.write64(0x120, v);
        m(0xDF, 5, 0x120);
    }

    double fstp() {
        m(0xDD, 3, 0x200);
        return Double.longBitsToDouble(mem.read64(0x200));
    }

    long fstpBits() {
        m(0xDD, 3, 0x200);
        return mem.read64(0x200);
    }

    long fistpq() {
        m(0xDF, 7, 0x210);
        return mem.read64(0x210);
    }

    void fldcw(int cw) {
        mem.write16(0x300, cw);
        m(0xD9, 5, 0x300);
    }

    void put80(int addr, int se, long mant) {
        mem.write64(addr, mant);
        mem.write16(addr + 8, se);
    }

    int sw() {
        return f.statusWord();
    }

    int cc() {
        return sw() & CC;
    }

    void fninit() {
        r(0xDB, 0xE3);
    }

    void fnclex() {
        r(0xDB, 0xE2);
    }

    static Fault fault(Runnable r) {
        return assertThrows(Fault.class, r::run);
    }

    // =====================================================================================
    // Initial state
}
