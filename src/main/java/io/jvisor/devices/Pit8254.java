package io.jvisor.devices;

import io.jvisor.memory.ByteIoDevice;

/**
 * The Intel 8254 programmable interval timer at ports 0x40-0x43, clocked at 1.193182 MHz.
 *
 * <p>Every counter is modelled exactly, tick for tick of the input clock, as a closed-form
 * function of the VM clock: no per-tick work is ever done. Tick {@code k} of the input clock
 * happens at VM time {@code ceil(k * 1e9 / 1193182)} ns ({@link #nanosOfTick}); at VM time t,
 * {@code floor(t * 1193182 / 1e9)} ticks have happened ({@link #ticksAt}). Both are computed in
 * exact, overflow-free integer arithmetic.
 *
 * <p>Behaviour follows the 82C54 datasheet: a count written is loaded into the counting element
 * on the next clock pulse (which does not decrement it); mode 0 (interrupt on terminal count:
 * OUT low after the control word or a count write, high N+1 clocks after the write, the first
 * byte of a two-byte write stops counting, GATE low pauses), mode 1 (retriggerable one-shot
 * started by a GATE rising edge), modes 2 and 6 (rate generator: OUT low while the count is 1,
 * period N, a new count takes effect at the end of the current period, GATE low stops and forces
 * OUT high, GATE rising reloads), modes 3 and 7 (square wave: OUT high for ceil(N/2) and low
 * for floor(N/2) clocks, decrementing by two, odd counts as the datasheet describes, a new count
 * takes effect at the end of the current half-cycle), mode 4 (software-triggered strobe: OUT
 * low for one clock when the count reaches 0) and mode 5 (hardware-triggered strobe). Counts are
 * binary (0 means 65536) or BCD (0 means 10000); after the terminal count one-shot counters
 * wrap and keep counting. Reads go through the read flip-flop (LSB, MSB, or LSB then MSB), the
 * counter latch command and the read-back command (status byte: OUT, NULL COUNT, RW, mode, BCD;
 * a latched status is read before a latched count). Port 0x43 reads as 0xff.
 *
 * <p>Counter 0's OUT drives IRQ 0. Interrupts are edges, produced in {@link #advance}: if one or
 * more rising edges of OUT0 happened since the previous call, exactly one rising edge is driven
 * onto the line (the line is pulled low first if needed), and then the line follows OUT0's level
 * at {@code now}. <b>Coalescing:</b> a late {@code advance} therefore delivers one interrupt for
 * all the periods it missed — as the 8259's single IRR bit would merge them anyway — and counts
 * the dropped ones in {@link #coalescedEdges()}; the counter's phase is never disturbed, so the
 * following interrupts stay on the original period grid, and {@link #nextDeadline()} is always
 * the exact time of the next rising edge of OUT0. Port accesses first bring the device up to the
 * current VM time, so the edges of the old programming are accounted for before a reprogramming,
 * and a reprogramming that raises OUT0 (for example a control word selecting mode 2 or 3 while
 * OUT0 is low) raises the line at once, as on hardware.
 *
 * <p>GATE: counters 0 and 1 have it tied high; counter 2's gate starts low and is driven by
 * port 0x61 bit 0 ({@link PcSpeakerPort}), which also reads OUT2 back in bit 5. Counters start
 * unprogrammed (stopped, OUT low) until the guest writes a control word and a count.
 */
public final class Pit8254 implements ByteIoDevice, TimedDevice {
    public static final long FREQUENCY_HZ = 1_193_182L;
    public static final int PORT_COUNTER0 = 0x40;
    public static final int PORT_COUNTER1 = 0x41;
    public static final int PORT_COUNTER2 = 0x42;
    public static final int PORT_CONTROL = 0x43;

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long NEVER = Long.MAX_VALUE;

    /** Snapshot of one counter; tick values are input-clock ticks since VM time 0. */
    public record CounterState(int modeBits, int rw, boolean bcd, int countRegister, int lsbWritten,
                               boolean writeMsbNext, boolean readMsbNext, boolean countLatched,
                               int latchedCount, boolean statusLatched, int latchedStatus,
                               boolean gate, boolean hasCount, int run, long anchor, long frozenValue,
                               boolean frozenOut, long distance, long counted, long segmentStart,
                               boolean counting, long period, long position, long pendingPeriod,
                               long nullCountUntil) {
    }

    /** Snapshot of the whole timer. */
    public record State(CounterState counter0, CounterState counter1, CounterState counter2,
                        long lastTick, boolean irqLevel, long coalescedEdges) {
    }

    private final VmClock clock;
    private final IrqLine irq0;
    private final Counter[] counters = {new Counter(true), new Counter(true), new Counter(false)};
    /** Input-clock ticks up to which the device has been brought. */
    private long lastTick;
    /** The level last driven onto IRQ 0. */
    private boolean irqLevel;
    private long coalesced;

    public Pit8254(VmClock clock, IrqLine irq0) {
        this.clock = clock;
        this.irq0 = irq0;
        this.lastTick = Math.max(0, ticksAt(clock.nanos()));
    }

    // ------------------------------------------------------------------------------------
    // Exact time conversion

    /** Input-clock ticks that have happened by VM time {@code nanos}: floor(nanos * 1193182 / 1e9). */
    public static long ticksAt(long nanos) {
        long seconds = Math.floorDiv(nanos, NANOS_PER_SECOND);
        long rest = Math.floorMod(nanos, NANOS_PER_SECOND);
        // rest * FREQUENCY_HZ < 1.2e15, seconds * FREQUENCY_HZ < 1.1e16: no overflow.
        return seconds * FREQUENCY_HZ + rest * FREQUENCY_HZ / NANOS_PER_SECOND;
    }

    /**
     * The VM time of input-clock tick {@code tick}: the least t with ticksAt(t) >= tick, that is
     * ceil(tick * 1e9 / 1193182); Long.MAX_VALUE if that is beyond the range of a long.
     */
    public static long nanosOfTick(long tick) {
        long seconds = Math.floorDiv(tick, FREQUENCY_HZ);
        long rest = Math.floorMod(tick, FREQUENCY_HZ);
        // rest * 1e9 < 1.2e15: no overflow; the fraction is below one second.
        long fraction = (rest * NANOS_PER_SECOND + FREQUENCY_HZ - 1) / FREQUENCY_HZ;
        if (seconds >= Long.MAX_VALUE / NANOS_PER_SECOND) {
            return NEVER;
        }
        if (seconds < Long.MIN_VALUE / NANOS_PER_SECOND) {
            return Long.MIN_VALUE;
        }
        return seconds * NANOS_PER_SECOND + fraction;
    }

    // ------------------------------------------------------------------------------------
    // TimedDevice

    @Override
    public void advance(long now) {
        long t = ticksAt(now);
        if (t <= lastTick) {
            return;
        }
        long edges = counters[0].countRises(lastTick, t);
        if (edges > 0) {
            coalesced += edges - 1;
            if (irqLevel) {
                irq0.set(false);
            }
            irq0.set(true);
            irqLevel = true;
        }
        for (Counter c : counters) {
            c.normalize(t);
        }
        lastTick = t;
        syncIrq();
    }

    @Override
    public long nextDeadline() {
        long tick = counters[0].nextRise(lastTick);
        return tick == NEVER ? NEVER : nanosOfTick(tick);
    }

    /** Rising edges of OUT0 that were merged into an earlier interrupt because advance() came late. */
    public long coalescedEdges() {
        return coalesced;
    }

    private long catchUp() {
        advance(clock.nanos());
        return lastTick;
    }

    private void syncIrq() {
        boolean out = counters[0].out(lastTick);
        if (out != irqLevel) {
            irqLevel = out;
            irq0.set(out);
        }
    }

    // ------------------------------------------------------------------------------------
    // Gates and outputs (port 0x61 uses these for counter 2)

    /** Drives counter {@code n}'s GATE input at the current VM time. */
    public void setGate(int n, boolean high) {
        long t = catchUp();
        counters[n].setGate(t, high);
        syncIrq();
    }

    public boolean gate(int n) {
        return counters[n].gate;
    }

    /** Counter {@code n}'s OUT pin at the current VM time. */
    public boolean output(int n) {
        return counters[n].out(catchUp());
    }

    // ------------------------------------------------------------------------------------
    // ByteIoDevice: wider accesses are split into byte accesses at consecutive ports

    @Override
    public int read8(int port) {
        if (port < PORT_COUNTER0 || port > PORT_COUNTER2) {
            return 0xff;
        }
        long t = catchUp();
        return counters[port - PORT_COUNTER0].read(t);
    }

    @Override
    public void write8(int port, int value) {
        if (port < PORT_COUNTER0 || port > PORT_CONTROL) {
            return;
        }
        long t = catchUp();
        if (port == PORT_CONTROL) {
            control(t, value);
        } else {
            counters[port - PORT_COUNTER0].writeByte(t, value);
        }
        syncIrq();
    }

    private void control(long t, int v) {
        int select = v >>> 6;
        if (select == 3) { // read-back
            for (int n = 0; n < 3; n++) {
                if ((v & (2 << n)) == 0) {
                    continue;
                }
                if ((v & 0x10) == 0) {
                    counters[n].latchStatus(t);
                }
                if ((v & 0x20) == 0) {
                    counters[n].latchCount(t);
                }
            }
        } else if ((v & 0x30) == 0) {
            counters[select].latchCount(t);
        } else {
            counters[select].control(t, v);
        }
    }

    // ------------------------------------------------------------------------------------

    public State state() {
        return new State(counters[0].state(), counters[1].state(), counters[2].state(), lastTick,
                irqLevel, coalesced);
    }

    /**
     * Restores a snapshot. The IRQ 0 line is not driven: the interrupt controller's own snapshot
     * holds its pin level, so restore it after this.
     */
    public void restore(State s) {
        counters[0].restore(s.counter0());
        counters[1].restore(s.counter1());
        counters[2].restore(s.counter2());
        lastTick = s.lastTick();
        irqLevel = s.irqLevel();
        coalesced = s.coalescedEdges();
    }

    // ======================================================================================

    /** One counter. Times are input-clock ticks; values are numeric (not BCD-encoded). */
    private static final class Counter {
        static final int STOPPED = 0;  // counting element frozen at frozenValue, OUT = frozenOut
        static final int ONESHOT = 1;  // modes 0, 1, 4, 5: counting down from a load
        static final int PERIODIC = 2; // modes 2, 3

        int modeBits;     // the mode as programmed (0-7), reported in the status byte
        int mode;         // 0-5 (6 and 7 are 2 and 3)
        int rw = 3;       // 1 LSB only, 2 MSB only, 3 LSB then MSB
        boolean bcd;
        int countRegister;
        int lsbWritten;
        boolean writeMsbNext;
        boolean readMsbNext;
        boolean countLatched;
        int latchedCount;
        boolean statusLatched;
        int latchedStatus;
        boolean gate;
        boolean hasCount;

        int run = STOPPED;
        long anchor;           // the tick at which the current load/segment starts
        long frozenValue;
        boolean frozenOut;
        // ONESHOT: elapsed(t) = counted + (counting ? max(0, t - segmentStart) : 0)
        long distance;         // clocks from the load to the terminal count
        long counted;
        long segmentStart;
        boolean counting;
        // PERIODIC: position in the cycle at tick t >= anchor is (position + t - anchor) mod period
        long period;
        long position;
        long pendingPeriod;    // a new count waiting for the end of the period/half-cycle, or 0
        long nullCountUntil = NEVER;

        Counter(boolean gate) {
            this.gate = gate;
        }

        long modulus() {
            return bcd ? 10_000 : 65_536;
        }

        long initialCount() {
            long n = bcd ? fromBcd(countRegister) : countRegister;
            return n == 0 ? modulus() : n;
        }

        int encode(long value) {
            return bcd ? toBcd(value % 10_000) : (int) (value & 0xffff);
        }

        // -------------------------------------------------------------------------------
        // Programming

        void control(long t, int v) {
            frozenValue = value(t);
            run = STOPPED;
            modeBits = (v >>> 1) & 7;
            mode = modeBits > 5 ? modeBits - 4 : modeBits;
            rw = (v >>> 4) & 3;
            bcd = (v & 1) != 0;
            writeMsbNext = false;
            readMsbNext = false;
            countLatched = false;
            statusLatched = false;
            hasCount = false;
            pendingPeriod = 0;
            frozenOut = mode != 0;
            nullCountUntil = NEVER;
        }

        void writeByte(long t, int b) {
            switch (rw) {
                case 1 -> {
                    countRegister = b;
                    load(t);
                }
                case 2 -> {
                    countRegister = b << 8;
                    load(t);
                }
                default -> {
                    if (!writeMsbNext) {
                        lsbWritten = b;
                        writeMsbNext = true;
                        if (mode == 0) { // the first byte stops counting and drops OUT
                            frozenValue = value(t);
                            run = STOPPED;
                            frozenOut = false;
                        }
                    } else {
                        writeMsbNext = false;
                        countRegister = (b << 8) | lsbWritten;
                        load(t);
                    }
                }
            }
        }

        /** A complete count has been written at tick t. */
        void load(long t) {
            hasCount = true;
            long n = initialCount();
            switch (mode) {
                case 0, 4 -> {
                    startOneShot(t + 1, n);
                    counting = gate;
                    nullCountUntil = t + 1;
                }
                case 1, 5 -> nullCountUntil = NEVER; // loaded by the next trigger
                default -> {
                    if (run == PERIODIC) {
                        if (pendingPeriod == 0 && t > anchor) {
                            position = positionAt(t);
                            anchor = t;
                        }
                        pendingPeriod = n;
                        nullCountUntil = boundary();
                    } else if (gate) {
                        startPeriodic(t + 1, n);
                        nullCountUntil = t + 1;
                    } else {
                        frozenValue = n;
                        frozenOut = true;
                        nullCountUntil = t + 1;
                    }
                }
            }
        }

        void startOneShot(long loadTick, long n) {
            run = ONESHOT;
            anchor = loadTick;
            distance = n;
            counted = 0;
            segmentStart = loadTick;
            counting = true;
        }

        void startPeriodic(long loadTick, long n) {
            run = PERIODIC;
            anchor = loadTick;
            period = n;
            position = 0;
            pendingPeriod = 0;
        }

        void setGate(long t, boolean high) {
            if (high == gate) {
                return;
            }
            gate = high;
            switch (mode) {
                case 0, 4 -> {
                    if (run == ONESHOT) {
                        if (high) {
                            segmentStart = Math.max(t, anchor);
                            counting = true;
                        } else {
                            counted = elapsed(t);
                            counting = false;
                        }
                    }
                }
                case 1, 5 -> {
                    if (high && hasCount) {
                        startOneShot(t + 1, initialCount());
                        nullCountUntil = Math.min(nullCountUntil, t + 1);
                    }
                }
                default -> {
                    if (!high) {
                        if (run == PERIODIC) {
                            frozenValue = value(t);
                            run = STOPPED;
                            if (pendingPeriod != 0) {
                                nullCountUntil = NEVER;
                            }
                            pendingPeriod = 0;
                        }
                        frozenOut = true;
                    } else if (hasCount) {
                        startPeriodic(t + 1, initialCount());
                        nullCountUntil = Math.min(nullCountUntil, t + 1);
                    }
                }
            }
        }

        // -------------------------------------------------------------------------------
        // Reading

        void latchCount(long t) {
            if (!countLatched) {
                countLatched = true;
                latchedCount = encode(value(t));
            }
        }

        void latchStatus(long t) {
            if (!statusLatched) {
                statusLatched = true;
                latchedStatus = (out(t) ? 0x80 : 0) | (t < nullCountUntil ? 0x40 : 0) | (rw << 4)
                        | (modeBits << 1) | (bcd ? 1 : 0);
            }
        }

        int read(long t) {
            if (statusLatched) {
                statusLatched = false;
                return latchedStatus;
            }
            int v = countLatched ? latchedCount : encode(value(t));
            switch (rw) {
                case 1 -> {
                    countLatched = false;
                    return v & 0xff;
                }
                case 2 -> {
                    countLatched = false;
                    return (v >>> 8) & 0xff;
                }
                default -> {
                    if (!readMsbNext) {
                        readMsbNext = true;
                        return v & 0xff;
                    }
                    readMsbNext = false;
                    countLatched = false;
                    return (v >>> 8) & 0xff;
                }
            }
        }

        // -------------------------------------------------------------------------------
        // The counter as a function of time

        long elapsed(long t) {
            return counting ? counted + Math.max(0, t - segmentStart) : counted;
        }

        /** For PERIODIC with a pending count: the tick at which the pending count is loaded. */
        long boundary() {
            long half = (period + 1) / 2;
            return anchor + (mode == 3 && position < half ? half - position : period - position);
        }

        /** The position in the new cycle at the boundary: a high half ends into the low half. */
        long positionAfterBoundary() {
            return mode == 3 && position < (period + 1) / 2 ? ((pendingPeriod + 1) / 2) % pendingPeriod : 0;
        }

        long periodAt(long t) {
            return pendingPeriod != 0 && t >= boundary() ? pendingPeriod : period;
        }

        long positionAt(long t) {
            if (pendingPeriod != 0) {
                long b = boundary();
                if (t >= b) {
                    return (positionAfterBoundary() + (t - b)) % pendingPeriod;
                }
            }
            return (position + Math.max(0, t - anchor)) % period;
        }

        /** Applies a pending count once its boundary has passed. */
        void normalize(long t) {
            if (run == PERIODIC && pendingPeriod != 0) {
                long b = boundary();
                if (t >= b) {
                    position = positionAfterBoundary();
                    anchor = b;
                    period = pendingPeriod;
                    pendingPeriod = 0;
                }
            }
        }

        /** The counting element at tick t, numerically (65536 / 10000 read as 0). */
        long value(long t) {
            return switch (run) {
                case ONESHOT -> Math.floorMod(distance - elapsed(t), modulus());
                case PERIODIC -> {
                    long n = periodAt(t);
                    long p = positionAt(t);
                    if (mode == 2) {
                        yield n - p;
                    }
                    long half = (n + 1) / 2;
                    long q = p < half ? p : p - half;
                    yield (n & 1) != 0 ? n - 1 - 2 * q : n - 2 * q;
                }
                default -> frozenValue;
            };
        }

        boolean out(long t) {
            return switch (run) {
                case ONESHOT -> {
                    long e = elapsed(t);
                    yield mode == 0 || mode == 1 ? e >= distance : e != distance;
                }
                case PERIODIC -> {
                    long n = periodAt(t);
                    long p = positionAt(t);
                    yield mode == 2 ? p != n - 1 : p < (n + 1) / 2;
                }
                default -> frozenOut;
            };
        }

        /** The first tick after {@code after} at which OUT rises, or NEVER. */
        long nextRise(long after) {
            switch (run) {
                case ONESHOT -> {
                    if (!counting) {
                        return NEVER;
                    }
                    long target = mode == 0 || mode == 1 ? distance : distance + 1;
                    if (elapsed(after) >= target) {
                        return NEVER;
                    }
                    return segmentStart + (target - counted);
                }
                case PERIODIC -> {
                    if (pendingPeriod != 0) {
                        long b = boundary();
                        if (after < b) {
                            // No edge lies strictly inside the current period/half-cycle.
                            if (risesAtBoundary()) {
                                return b;
                            }
                            return firstWrap(b, pendingPeriod, positionAfterBoundary(), b);
                        }
                        return firstWrap(b, pendingPeriod, positionAfterBoundary(), after);
                    }
                    return firstWrap(anchor, period, position, after);
                }
                default -> {
                    return NEVER;
                }
            }
        }

        /** Rising edges of OUT in the ticks (after, upto]. */
        long countRises(long after, long upto) {
            if (upto <= after) {
                return 0;
            }
            if (run == ONESHOT) {
                return nextRise(after) <= upto ? 1 : 0;
            }
            if (run != PERIODIC) {
                return 0;
            }
            long count = 0;
            long from = after;
            long start = anchor;
            long n = period;
            long q = position;
            if (pendingPeriod != 0) {
                long b = boundary();
                if (after < b) {
                    if (b > upto) {
                        return 0;
                    }
                    if (risesAtBoundary()) {
                        count++;
                    }
                    from = b;
                }
                start = b;
                n = pendingPeriod;
                q = positionAfterBoundary();
            }
            long first = firstWrap(start, n, q, from);
            if (first <= upto) {
                count += (upto - first) / n + 1;
            }
            return count;
        }

        /** Whether OUT rises as the pending count is loaded. */
        private boolean risesAtBoundary() {
            if (mode == 2) {
                return period >= 2 && pendingPeriod >= 2;
            }
            return position >= (period + 1) / 2; // a low half ending: OUT goes high
        }

        /**
         * A periodic segment starting at tick {@code start} at position {@code q} of a cycle of
         * {@code n}: OUT rises whenever the position wraps to 0 (if n >= 2). The first such tick
         * after {@code after}.
         */
        private static long firstWrap(long start, long n, long q, long after) {
            if (n < 2) {
                return NEVER;
            }
            long first = start + (n - q);
            if (after < first) {
                return first;
            }
            return first + ((after - first) / n + 1) * n;
        }

        // -------------------------------------------------------------------------------

        CounterState state() {
            return new CounterState(modeBits, rw, bcd, countRegister, lsbWritten, writeMsbNext,
                    readMsbNext, countLatched, latchedCount, statusLatched, latchedStatus, gate,
                    hasCount, run, anchor, frozenValue, frozenOut, distance, counted, segmentStart,
                    counting, period, position, pendingPeriod, nullCountUntil);
        }

        void restore(CounterState s) {
            modeBits = s.modeBits() & 7;
            mode = modeBits > 5 ? modeBits - 4 : modeBits;
            rw = s.rw();
            bcd = s.bcd();
            countRegister = s.countRegister();
            lsbWritten = s.lsbWritten();
            writeMsbNext = s.writeMsbNext();
            readMsbNext = s.readMsbNext();
            countLatched = s.countLatched();
            latchedCount = s.latchedCount();
            statusLatched = s.statusLatched();
            latchedStatus = s.latchedStatus();
            gate = s.gate();
            hasCount = s.hasCount();
            run = s.run();
            anchor = s.anchor();
            frozenValue = s.frozenValue();
            frozenOut = s.frozenOut();
            distance = s.distance();
            counted = s.counted();
            segmentStart = s.segmentStart();
            counting = s.counting();
            period = s.period();
            position = s.position();
            pendingPeriod = s.pendingPeriod();
            nullCountUntil = s.nullCountUntil();
        }
    }

    static long fromBcd(int v) {
        return ((v >>> 12) & 0xf) * 1000L + ((v >>> 8) & 0xf) * 100L + ((v >>> 4) & 0xf) * 10L + (v & 0xf);
    }

    static int toBcd(long v) {
        int n = (int) v;
        return ((n / 1000) % 10) << 12 | ((n / 100) % 10) << 8 | ((n / 10) % 10) << 4 | (n % 10);
    }
}
