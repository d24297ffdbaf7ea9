package io.jvisor.cpu;

/**
 * MUL, IMUL (one-, two- and three-operand) and DIV, IDIV (SDM Vol. 2). Division by zero
 * or a quotient that does not fit raises #DE before any register changes.
 */
public final class MulDiv {
    private MulDiv() { }

    /** One-operand MUL: AL/AX/EAX * src into AX, DX:AX or EDX:EAX. CF=OF= upper half non-zero. */
    public static void mul(Cpu c, int size, int src) {
        long a = c.reg(Cpu.EAX, size) & 0xffffffffL;
        long b = src & Alu.mask(size) & 0xffffffffL;
        long p = a * b;
        boolean high;
        int low;
        switch (size) {
            case 1 -> {
                c.setReg(Cpu.EAX, 2, (int) p);
                high = (p & 0xff00) != 0;
                low = (int) p & 0xff;
            }
            case 2 -> {
                c.setReg(Cpu.EAX, 2, (int) p);
                c.setReg(Cpu.EDX, 2, (int) (p >>> 16));
                high = (p & 0xffff0000L) != 0;
                low = (int) p & 0xffff;
            }
            default -> {
                c.r[Cpu.EAX] = (int) p;
                c.r[Cpu.EDX] = (int) (p >>> 32);
                high = (p >>> 32) != 0;
                low = (int) p;
            }
        }
        // SF, ZF, PF and AF are undefined; P6 sets them from the low half
        Alu.resultCfOf(c, size, low, high, high);
    }

    /** One-operand IMUL: signed. CF=OF= the result does not fit in the low half. */
    public static void imul1(Cpu c, int size, int src) {
        long a = Alu.signExtend(c.reg(Cpu.EAX, size), size);
        long b = Alu.signExtend(src, size);
        long p = a * b;
        boolean overflow;
        int low;
        switch (size) {
            case 1 -> {
                c.setReg(Cpu.EAX, 2, (int) p);
                overflow = p != (byte) p;
                low = (int) p & 0xff;
            }
            case 2 -> {
                c.setReg(Cpu.EAX, 2, (int) p);
                c.setReg(Cpu.EDX, 2, (int) (p >> 16));
                overflow = p != (short) p;
                low = (int) p & 0xffff;
            }
            default -> {
                c.r[Cpu.EAX] = (int) p;
                c.r[Cpu.EDX] = (int) (p >> 32);
                overflow = p != (int) p;
                low = (int) p;
            }
        }
        Alu.resultCfOf(c, size, low, overflow, overflow);
    }

    /** Two- and three-operand IMUL: truncated signed product. */
    public static int imul(Cpu c, int size, int a, int b) {
        long p = (long) Alu.signExtend(a, size) * Alu.signExtend(b, size);
        int res = (int) p & Alu.mask(size);
        boolean overflow = p != Alu.signExtend(res, size);
        Alu.resultCfOf(c, size, res, overflow, overflow);
        return res;
    }

    public static void div(Cpu c, int size, int src) {
        long d = src & Alu.mask(size) & 0xffffffffL;
        if (d == 0) {
            throw Fault.of(Fault.DE);
        }
        switch (size) {
            case 1 -> {
                long n = c.r[Cpu.EAX] & 0xffff;
                long q = n / d;
                if (q > 0xff) {
                    throw Fault.of(Fault.DE);
                }
                c.setReg(Cpu.EAX, 2, (int) ((n % d) << 8 | q));
            }
            case 2 -> {
                long n = ((c.r[Cpu.EDX] & 0xffffL) << 16) | (c.r[Cpu.EAX] & 0xffff);
                long q = n / d;
                if (q > 0xffff) {
                    throw Fault.of(Fault.DE);
                }
                c.setReg(Cpu.EAX, 2, (int) q);
                c.setReg(Cpu.EDX, 2, (int) (n % d));
            }
            default -> {
                long n = ((long) c.r[Cpu.EDX] << 32) | (c.r[Cpu.EAX] & 0xffffffffL);
                long q = Long.divideUnsigned(n, d);
                if (Long.compareUnsigned(q, 0xffffffffL) > 0) {
                    throw Fault.of(Fault.DE);
                }
                c.r[Cpu.EAX] = (int) q;
                c.r[Cpu.EDX] = (int) Long.remainderUnsigned(n, d);
            }
        }
    }

    public static void idiv(Cpu c, int size, int src) {
        long d = Alu.signExtend(src, size);
        if (d == 0) {
            throw Fault.of(Fault.DE);
        }
        switch (size) {
            case 1 -> {
                long n = (short) c.r[Cpu.EAX];
                long q = n / d;
                if (q != (byte) q) {
                    throw Fault.of(Fault.DE);
                }
                c.setReg(Cpu.EAX, 2, (int) (((n % d) & 0xff) << 8 | (q & 0xff)));
            }
            case 2 -> {
                long n = (c.r[Cpu.EDX] << 16) | (c.r[Cpu.EAX] & 0xffff);
                long q = n / d;
                if (q != (short) q) {
                    throw Fault.of(Fault.DE);
                }
                c.setReg(Cpu.EAX, 2, (int) q);
                c.setReg(Cpu.EDX, 2, (int) (n % d));
            }
            default -> {
                long n = ((long) c.r[Cpu.EDX] << 32) | (c.r[Cpu.EAX] & 0xffffffffL);
                if (n == Long.MIN_VALUE && d == -1) {
                    throw Fault.of(Fault.DE);
                }
                long q = n / d;
                if (q != (int) q) {
                    throw Fault.of(Fault.DE);
                }
                c.r[Cpu.EAX] = (int) q;
                c.r[Cpu.EDX] = (int) (n % d);
            }
        }
    }
}
