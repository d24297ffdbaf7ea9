package io.jvisor.devices;

/**
 * One Intel 8259A programmable interrupt controller, modelled on the datasheet.
 *
 * <p>Command words: ICW1 (A0=0, D4=1) starts the initialization sequence ICW2 (vector base,
 * T7-T3), ICW3 (only in cascade mode: the slave mask on a master, the slave ID on a slave) and
 * ICW4 (only if ICW1.IC4: uPM, AEOI, M/S, BUF, SFNM). Afterwards A0=1 writes OCW1 (the mask)
 * and A0=0 writes OCW2 (D4=0, D3=0: EOI and rotation commands) or OCW3 (D4=0, D3=1: special mask
 * mode, poll, read IRR/ISR).
 *
 * <p>Priority: the eight levels form a ring; {@code lowestPriority} (7 after ICW1) names the
 * lowest and the level after it is the highest. Rotation commands move the lowest-priority
 * position. A request is serviced when it is unmasked and of strictly higher priority than
 * every level in service (fully nested mode); in special mask mode any unmasked level not itself
 * in service may be serviced; in special fully nested mode (master only) an in-service cascade
 * input does not block further requests from the same slave.
 *
 * <p>Triggering: an input is level-triggered if its ELCR bit is set (writable bits are limited by
 * the ELCR mask given to the constructor) or, when this chip honours it, if ICW1.LTIM is set.
 * Edge-triggered inputs latch IRR on a low-to-high transition and keep it until acknowledged
 * even if the input falls again (as QEMU and KVM do; it is what lets a device use
 * {@link IrqLine#pulse()}); level-triggered inputs make IRR follow the input, so a request that
 * goes away before the INTA cycle yields the spurious IR7.
 *
 * <p>The INT output is recomputed after every state change and driven onto the {@link IrqLine}
 * given to the constructor only when it changes. While an initialization sequence is incomplete
 * INT stays low. In MCS-80/85 mode (ICW4.uPM = 0) the chip still answers an INTA cycle with
 * {@code base | level}, as an x86 CPU cannot use the 8080 CALL sequence.
 *
 * <p>Only the vCPU thread touches it.
 */
public final class Pic8259 {

    /** Immutable snapshot of one chip (the INT output is derived, not stored). */
    public record State(int irr, int isr, int imr, int inputLevels, int elcr, int lowestPriority,
                        int vectorBase, int icw1, int icw3, int icw4, int initStep, boolean readIsr,
                        boolean pollPending, boolean specialMask, boolean rotateOnAutoEoi) {
    }

    // Initialization sequence steps: which ICW the next A0=1 write is.
    private static final int READY = 0;
    private static final int WANT_ICW2 = 2;
    private static final int WANT_ICW3 = 3;
    private static final int WANT_ICW4 = 4;

    private final boolean wiredMaster;
    private final int elcrMask;
    private final boolean honourLtim;
    private final IrqLine intOutput;

    private int irr;
    private int isr;
    private int imr;
    private int inputLevels;
    private int elcr;
    private int lowestPriority = 7;
    private int vectorBase;
    private int icw1;
    private int icw3;
    private int icw4;
    private int initStep = READY;
    private boolean readIsr;
    private boolean pollPending;
    private boolean specialMask;
    private boolean rotateOnAutoEoi;
    private boolean intOut;

    /**
     * A chip with SP/EN strapped for master ({@code master}) or slave, no ELCR and ICW1.LTIM
     * honoured; {@code intOutput} receives its INT pin.
     */
    public Pic8259(boolean master, IrqLine intOutput) {
        this(master, 0, true, intOutput);
    }

    /**
     * @param master     the SP/EN strap (used unless ICW4 selects buffered mode, whose M/S bit wins)
     * @param elcrMask   which inputs the edge/level control register may switch to level
     * @param honourLtim whether ICW1.LTIM makes all inputs level-triggered (the PIIX ignores it)
     * @param intOutput  the INT pin
     */
    public Pic8259(boolean master, int elcrMask, boolean honourLtim, IrqLine intOutput) {
        this.wiredMaster = master;
        this.elcrMask = elcrMask & 0xff;
        this.honourLtim = honourLtim;
        this.intOutput = intOutput;
    }

    // ------------------------------------------------------------------------------------
    // Pins

    /** Drives input IRn. */
    public void setInput(int n, boolean high) {
        int mask = 1 << (n & 7);
        boolean wasHigh = (inputLevels & mask) != 0;
        if (high) {
            inputLevels |= mask;
        } else {
            inputLevels &= ~mask;
        }
        if (isLevelTriggered(n)) {
            irr = high ? irr | mask : irr & ~mask;
        } else if (high && !wasHigh) {
            irr |= mask;
        }
        update();
    }

    /** The input IRn as a line a device can drive. */
    public IrqLine input(int n) {
        int level = n & 7;
        return high -> setInput(level, high);
    }

    /** The INT output pin. */
    public boolean output() {
        return intOut;
    }

    // ------------------------------------------------------------------------------------
    // Bus interface (A0 selects the port)

    /** A read with address line A0 = {@code a0}: a poll result, IRR/ISR (A0=0) or IMR (A0=1). */
    public int read(int a0) {
        if (pollPending) {
            pollPending = false;
            return poll();
        }
        if ((a0 & 1) == 0) {
            return readIsr ? isr : irr;
        }
        return imr;
    }

    /** A write with address line A0 = {@code a0}. */
    public void write(int a0, int value) {
        int v = value & 0xff;
        if ((a0 & 1) == 0) {
            if ((v & 0x10) != 0) {
                icw1(v);
            } else if ((v & 0x08) != 0) {
                ocw3(v);
            } else {
                ocw2(v);
            }
        } else {
            switch (initStep) {
                case WANT_ICW2 -> {
                    vectorBase = v & 0xf8;
                    initStep = isSingle() ? ((icw1 & 1) != 0 ? WANT_ICW4 : READY) : WANT_ICW3;
                }
                case WANT_ICW3 -> {
                    icw3 = v;
                    initStep = (icw1 & 1) != 0 ? WANT_ICW4 : READY;
                }
                case WANT_ICW4 -> {
                    icw4 = v & 0x1f;
                    initStep = READY;
                }
                default -> imr = v;
            }
        }
        update();
    }

    private void icw1(int v) {
        icw1 = v;
        initStep = WANT_ICW2;
        imr = 0;
        isr = 0;
        // The edge sense circuit is reset: edge inputs need a fresh low-to-high transition;
        // level inputs that are high keep requesting.
        irr = inputLevels & levelMask();
        lowestPriority = 7;
        specialMask = false;
        readIsr = false;
        pollPending = false;
        rotateOnAutoEoi = false;
        if ((v & 1) == 0) {
            icw4 = 0;
        }
        if (!actsAsMaster()) {
            icw3 = 7; // "the slave mode address is set to 7"
        }
    }

    private void ocw2(int v) {
        int level = v & 7;
        switch ((v >> 5) & 7) {
            case 0b001 -> { // non-specific EOI
                int n = highest(eoiCandidates());
                if (n >= 0) {
                    isr &= ~(1 << n);
                }
            }
            case 0b011 -> isr &= ~(1 << level); // specific EOI
            case 0b101 -> { // rotate on non-specific EOI
                int n = highest(eoiCandidates());
                if (n >= 0) {
                    isr &= ~(1 << n);
                    lowestPriority = n;
                }
            }
            case 0b100 -> rotateOnAutoEoi = true;
            case 0b000 -> rotateOnAutoEoi = false;
            case 0b111 -> { // rotate on specific EOI
                isr &= ~(1 << level);
                lowestPriority = level;
            }
            case 0b110 -> lowestPriority = level; // set priority
            default -> { } // 010: no operation
        }
    }

    /** In special mask mode a non-specific EOI does not clear an in-service bit that is masked. */
    private int eoiCandidates() {
        return specialMask ? isr & ~imr : isr;
    }

    private void ocw3(int v) {
        if ((v & 0x40) != 0) {
            specialMask = (v & 0x20) != 0;
        }
        if ((v & 0x04) != 0) {
            pollPending = true;
        }
        if ((v & 0x02) != 0) {
            readIsr = (v & 0x01) != 0;
        }
    }

    /** The poll word: bit 7 set if a level was requesting, with that level in bits 2-0. */
    private int poll() {
        int n = serviceableLevel();
        if (n < 0) {
            return 0;
        }
        acceptLevel(n);
        update();
        return 0x80 | n;
    }

    // ------------------------------------------------------------------------------------
    // The INTA cycle

    /**
     * The acknowledge cycle: returns the level being serviced (its ISR bit set unless in
     * auto-EOI mode, an edge IRR bit cleared), or -1 when no request survives (the spurious
     * case, in which the chip answers with IR7's vector and sets no ISR bit).
     */
    public int acknowledgeLevel() {
        int n = serviceableLevel();
        if (n < 0) {
            return -1;
        }
        acceptLevel(n);
        update();
        return n;
    }

    /** The full INTA cycle of a stand-alone chip: the vector, IR7's when spurious. */
    public int acknowledge() {
        int n = acknowledgeLevel();
        return vector(n < 0 ? 7 : n);
    }

    /** The vector this chip supplies for {@code level}. */
    public int vector(int level) {
        return vectorBase | (level & 7);
    }

    /** True if IR{@code level} has a slave behind it (master in cascade mode, ICW3 bit set). */
    public boolean isCascade(int level) {
        return (cascadeMask() & (1 << (level & 7))) != 0;
    }

    private void acceptLevel(int n) {
        int mask = 1 << n;
        if (!isLevelTriggered(n)) {
            irr &= ~mask;
        }
        if ((icw4 & 0x02) != 0) { // auto-EOI: the ISR bit is reset at the end of the cycle
            if (rotateOnAutoEoi) {
                lowestPriority = n;
            }
        } else {
            isr |= mask;
        }
    }

    // ------------------------------------------------------------------------------------
    // Priority resolution

    /** The level that would be serviced now, or -1. */
    private int serviceableLevel() {
        int requests = irr & ~imr & 0xff;
        if (requests == 0) {
            return -1;
        }
        if (specialMask) {
            return highest(requests & ~isr);
        }
        int n = highest(requests);
        int blocking = isr;
        if ((icw4 & 0x10) != 0) {
            blocking &= ~(cascadeMask() & (1 << n)); // special fully nested mode
        }
        int b = highest(blocking);
        return b < 0 || rank(n) < rank(b) ? n : -1;
    }

    /** 0 for the highest-priority level, 7 for the lowest. */
    private int rank(int level) {
        return (level - lowestPriority - 1) & 7;
    }

    /** The highest-priority level set in {@code mask}, or -1. */
    private int highest(int mask) {
        mask &= 0xff;
        if (mask == 0) {
            return -1;
        }
        int shift = (lowestPriority + 1) & 7;
        int rotated = ((mask >>> shift) | (mask << (8 - shift))) & 0xff;
        return (Integer.numberOfTrailingZeros(rotated) + shift) & 7;
    }

    private void update() {
        boolean out = initStep == READY && serviceableLevel() >= 0;
        if (out != intOut) {
            intOut = out;
            intOutput.set(out);
        }
    }

    // ------------------------------------------------------------------------------------
    // Configuration and inspection

    private boolean isSingle() {
        return (icw1 & 0x02) != 0;
    }

    private boolean actsAsMaster() {
        return (icw4 & 0x08) != 0 ? (icw4 & 0x04) != 0 : wiredMaster;
    }

    private int cascadeMask() {
        return actsAsMaster() && !isSingle() ? icw3 & 0xff : 0;
    }

    private int levelMask() {
        return honourLtim && (icw1 & 0x08) != 0 ? 0xff : elcr;
    }

    public boolean isLevelTriggered(int n) {
        return (levelMask() & (1 << (n & 7))) != 0;
    }

    /** The edge/level control register. */
    public int elcr() {
        return elcr;
    }

    /** Writes the edge/level control register; inputs switched to level take their IRR from the pin. */
    public void setElcr(int value) {
        elcr = value & elcrMask;
        int level = levelMask();
        irr = (irr & ~level) | (inputLevels & level);
        update();
    }

    public int irr() {
        return irr;
    }

    public int isr() {
        return isr;
    }

    public int imr() {
        return imr;
    }

    public int vectorBase() {
        return vectorBase;
    }

    public int lowestPriority() {
        return lowestPriority;
    }

    public boolean specialMaskMode() {
        return specialMask;
    }

    public boolean autoEoi() {
        return (icw4 & 0x02) != 0;
    }

    /** True once ICW1..ICW4 (as many as ICW1 asked for) have been written. */
    public boolean initialized() {
        return initStep == READY;
    }

    public State state() {
        return new State(irr, isr, imr, inputLevels, elcr, lowestPriority, vectorBase, icw1, icw3,
                icw4, initStep, readIsr, pollPending, specialMask, rotateOnAutoEoi);
    }

    /** Restores a snapshot and drives the INT output to match it. */
    public void restore(State s) {
        irr = s.irr() & 0xff;
        isr = s.isr() & 0xff;
        imr = s.imr() & 0xff;
        inputLevels = s.inputLevels() & 0xff;
        elcr = s.elcr() & elcrMask;
        lowestPriority = s.lowestPriority() & 7;
        vectorBase = s.vectorBase() & 0xf8;
        icw1 = s.icw1() & 0xff;
        icw3 = s.icw3() & 0xff;
        icw4 = s.icw4() & 0x1f;
        initStep = s.initStep();
        readIsr = s.readIsr();
        pollPending = s.pollPending();
        specialMask = s.specialMask();
        rotateOnAutoEoi = s.rotateOnAutoEoi();
        intOut = initStep == READY && serviceableLevel() >= 0;
        intOutput.set(intOut);
    }
}
