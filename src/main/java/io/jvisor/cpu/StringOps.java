package io.jvisor.cpu;

/**
 * String instructions MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS with REP/REPE/REPNE (SDM
 * Vol. 2), and the whole of how a repeated one is continued and counted:
 * <ul>
 * <li>A call runs at most one batch of iterations ({@link #BATCH}; one while single-stepping,
 *     SDM 17.3.1.4), updating ESI/EDI/ECX after each, and says whether the instruction is
 *     complete. When it is not, the caller leaves EIP at the instruction and returns to the
 *     dispatcher, which takes pending interrupts and runs it again: the next call goes on
 *     where this one stopped (SDM 7.3.9.1: a fault or an interrupt between iterations
 *     resumes the same way).</li>
 * <li>Every iteration adds one to {@link Cpu#instructions} here; the caller counts each
 *     call as one retired instruction, as it counts any instruction. This count drives the
 *     deterministic TSC and the engine's run budgets, and both engines keep it alike.</li>
 * <li>{@link #runToEnd} runs all iterations in one call, for debuggers and per-instruction
 *     test vectors.</li>
 * </ul>
 */
public final class StringOps {
    private StringOps() { }

    public static final int MOVS = 0, CMPS = 1, STOS = 2, LODS = 3, SCAS = 4, INS = 5, OUTS = 6;
    public static final int REP_NONE = 0, REPNE = 1, REPE = 2;
    /** Iterations per call before giving the engine a chance to take interrupts. */
    static final int BATCH = 4096;

    /**
     * Runs one batch of the instruction. {@code seg} is the source segment (DS or the
     * override) for MOVS/CMPS/LODS/OUTS. Returns true when the instruction has completed (EIP
     * should advance), false when it must be executed again (more iterations remain).
     */
    public static boolean run(Cpu c, int op, int size, boolean a32, int seg, int rep) {
        return run(c, op, size, a32, seg, rep, BATCH);
    }

    /** Runs the instruction with all its iterations (single-stepping still stops after one). */
    public static boolean runToEnd(Cpu c, int op, int size, boolean a32, int seg, int rep) {
        return run(c, op, size, a32, seg, rep, Integer.MAX_VALUE);
    }

    private static boolean run(Cpu c, int op, int size, boolean a32, int seg, int rep, int maxIterations) {
        if (rep != REP_NONE && op != CMPS && op != SCAS) {
            rep = REPE;   // MOVS/STOS/LODS/INS/OUTS repeat on either F2 or F3 (both act as REP)
        }
        if (op == INS || op == OUTS) {
            SystemOps.checkIo(c, c.r[Cpu.EDX] & 0xffff, size);
            SystemOps.ioBreakpoints(c, c.r[Cpu.EDX] & 0xffff, size);
        }
        if (rep == REP_NONE) {
            once(c, op, size, a32, seg);
            return true;
        }
        int cmask = a32 ? -1 : 0xffff;
        int batch = c.singleStepping ? 1 : maxIterations;   // SDM 17.3.1.4: a single-step trap after each iteration
        int flatNeeded = 1 << Cpu.ES | (op == MOVS ? 1 << seg : 0);
        boolean bulk = (op == MOVS || op == STOS) && a32 && batch > 1 && !c.flag(Flags.DF)
                && (c.flatSegs & flatNeeded) == flatNeeded;
        for (int n = 0; n < batch; n++) {
            int count = c.r[Cpu.ECX] & cmask;
            if (count == 0) {
                return true;
            }
            if (bulk) {
                int k = bulkChunk(c, op, size, seg, batch - n);
                if (k > 0) {
                    n += k - 1;
                    continue;
                }
                bulk = k == 0;   // a copy onto its own source stays element by element for this batch
            }
            once(c, op, size, a32, seg);
            c.r[Cpu.ECX] = (c.r[Cpu.ECX] & ~cmask) | ((count - 1) & cmask);
            // each iteration counts as retired work, so deterministic time and run budgets see it
            c.instructions++;
            if (op == CMPS || op == SCAS) {
                boolean zf = c.zf();
                if (rep == REPE ? !zf : zf) {
                    return true;
                }
            }
        }
        return (c.r[Cpu.ECX] & cmask) == 0;
    }

    /**
     * REP MOVS / REP STOS forward through flat segments with 32-bit addresses: the
     * iterations up to the next page boundary of either address, done at once on guest RAM
     * when the soft TLB maps both pages (so no iteration of the chunk can fault, hit MMIO or
     * write translated code). Returns the iterations done, 0 when the next one must go
     * through {@link #once} (a TLB miss, an element across a page boundary), or -1 for a copy
     * whose destination starts inside its own source, which repeats a pattern element by element.
     */
    private static int bulkChunk(Cpu c, int op, int size, int seg, int max) {
        int di = c.r[Cpu.EDI];
        long dst = c.mappedRam(di, true);
        if (dst < 0) {
            return 0;
        }
        int k = Math.min((0x1000 - (di & 0xfff)) / size, max);
        if (Integer.compareUnsigned(c.r[Cpu.ECX], k) < 0) {
            k = c.r[Cpu.ECX];
        }
        if (op == MOVS) {
            int si = c.r[Cpu.ESI];
            long src = c.mappedRam(si, false);
            if (src < 0) {
                return 0;
            }
            k = Math.min(k, (0x1000 - (si & 0xfff)) / size);
            if (k == 0) {
                return 0;
            }
            if (dst > src && dst - src < (long) k * size) {
                return -1;
            }
            c.copyRam(src, dst, k * size);
            c.r[Cpu.ESI] = si + k * size;
        } else {
            if (k == 0) {
                return 0;
            }
            c.fillRam(dst, k, size, c.reg(Cpu.EAX, size));
        }
        c.r[Cpu.EDI] = di + k * size;
        c.r[Cpu.ECX] -= k;
        c.instructions += k;   // each iteration counts, as in the loop
        return k;
    }

    private static void once(Cpu c, int op, int size, boolean a32, int seg) {
        int amask = a32 ? -1 : 0xffff;
        int delta = c.flag(Flags.DF) ? -size : size;
        int si = c.r[Cpu.ESI] & amask, di = c.r[Cpu.EDI] & amask;
        switch (op) {
            case MOVS -> {
                int v = c.read(seg, si, size);
                c.write(Cpu.ES, di, size, v);
                advance(c, Cpu.ESI, delta, amask);
                advance(c, Cpu.EDI, delta, amask);
            }
            case CMPS -> {
                int a = c.read(seg, si, size);
                int b = c.read(Cpu.ES, di, size);
                Alu.sub(c, size, a, b);
                advance(c, Cpu.ESI, delta, amask);
                advance(c, Cpu.EDI, delta, amask);
            }
            case STOS -> {
                c.write(Cpu.ES, di, size, c.reg(Cpu.EAX, size));
                advance(c, Cpu.EDI, delta, amask);
            }
            case LODS -> {
                c.setReg(Cpu.EAX, size, c.read(seg, si, size));
                advance(c, Cpu.ESI, delta, amask);
            }
            case SCAS -> {
                int b = c.read(Cpu.ES, di, size);
                Alu.sub(c, size, c.reg(Cpu.EAX, size), b);
                advance(c, Cpu.EDI, delta, amask);
            }
            case INS -> {
                // the destination is checked before the port is read (SDM INS: faults come first)
                c.checkWritable(c.writeAddr(Cpu.ES, di, size), size);
                c.exits.inc(ExitReason.IO_PORT);
                int v = c.io.in(c.r[Cpu.EDX] & 0xffff, size);
                c.write(Cpu.ES, di, size, v);
                advance(c, Cpu.EDI, delta, amask);
            }
            default -> {   // OUTS
                int v = c.read(seg, si, size);
                c.exits.inc(ExitReason.IO_PORT);
                c.io.out(c.r[Cpu.EDX] & 0xffff, size, v);
                advance(c, Cpu.ESI, delta, amask);
            }
        }
    }

    private static void advance(Cpu c, int reg, int delta, int amask) {
        c.r[reg] = (c.r[reg] & ~amask) | ((c.r[reg] + delta) & amask);
    }
}
