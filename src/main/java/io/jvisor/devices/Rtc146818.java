package io.jvisor.devices;

import io.jvisor.memory.ByteIoDevice;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;

/**
 * The Motorola MC146818 real-time clock and its 128 bytes of CMOS RAM, at ports 0x70 (index;
 * bit 7 disables NMI) and 0x71 (data).
 *
 * <p><b>Time base.</b> The wall clock is read once, in the constructor, for the starting date and
 * time (in the wall clock's zone; give it {@code Clock.systemUTC()} for a UTC RTC) and the
 * fraction of the current second; from then on the chip's 32.768 kHz divider chain runs on
 * {@link VmClock} time, so a deterministic VM clock makes the RTC deterministic. Divider tick
 * {@code k} happens at {@code divOrigin + ceil(k * 1e9 / 32768)} ns, computed exactly.
 *
 * <p><b>Registers.</b> 0-9: seconds, alarm seconds, minutes, alarm minutes, hours, alarm hours,
 * day of week (1 = Sunday), day of month, month, year; 0x32: century. Time registers follow
 * register B's data mode (BCD or binary) and 12/24-hour mode (bit 7 = PM in 12-hour mode), and
 * so does the century byte. While the clock runs, reads are computed from the time base, so a
 * format change takes effect at once; a write to a time register while the clock runs sets the
 * clock (the other registers keep their current values); the day of week is always derived from
 * the date. Register A: UIP (read-only), divider DV2-0, rate RS3-0. Register B: SET, PIE, AIE,
 * UIE, SQWE, DM, 24/12, DSE (stored, no daylight-saving adjustment). Register C: IRQF, PF, AF,
 * UF, all cleared by a read; read-only. Register D: VRT, always 1; read-only.
 *
 * <p><b>Updates.</b> The time advances once a second, at the divider's second boundary, when
 * DV is 000, 001 or 010 (as in QEMU; 11x holds the divider in reset, other values stop it) and
 * SET is 0. The update itself is modelled as instantaneous at the boundary, and UIP reads 1 for
 * the 244 µs (8 divider ticks) before it, so a guest that sees UIP = 0 has 244 µs to read a
 * consistent time. Writing SET = 1 freezes the time registers (which the guest may then write),
 * clears UIE and UIP; writing SET = 0 restarts the clock from the registers, the next update
 * at the next second boundary. Leaving divider reset puts the first update 500 ms later.
 *
 * <p><b>Interrupts</b> (IRQ 8): PF at every edge of the divider tap chosen by RS (RS 1 and 2 as
 * 256 Hz and 128 Hz, RS 3-15 from 8192 Hz down to 2 Hz), UF at every update, AF at an update
 * whose new time matches the alarm bytes (a byte with bits 7-6 both set matches anything). The
 * flags are set whether or not enabled; IRQF = PF·PIE + AF·AIE + UF·UIE, re-evaluated when B is
 * written, and the line follows IRQF: it rises when IRQF becomes 1 and falls when register C is
 * read (IRQ 8 is edge-triggered at the PIC, so a guest that never reads C gets no further
 * interrupts, as on hardware). Events are evaluated lazily in {@link #advance} and before every
 * register access; flags are bits, so a late advance() merges missed events. {@link
 * #nextDeadline()} is the next periodic edge (PIE) or the next update (UIE or AIE; for AIE this
 * is an early, not exact, wake-up), or Long.MAX_VALUE while IRQF is already set.
 *
 * <p><b>CMOS memory size</b> bytes are filled by {@link #setMemorySize(long)}.
 */
public final class Rtc146818 implements ByteIoDevice, TimedDevice {
    public static final int PORT_INDEX = 0x70;
    public static final int PORT_DATA = 0x71;

    public static final int REG_SECONDS = 0x00;
    public static final int REG_SECONDS_ALARM = 0x01;
    public static final int REG_MINUTES = 0x02;
    public static final int REG_MINUTES_ALARM = 0x03;
    public static final int REG_HOURS = 0x04;
    public static final int REG_HOURS_ALARM = 0x05;
    public static final int REG_DAY_OF_WEEK = 0x06;
    public static final int REG_DAY_OF_MONTH = 0x07;
    public static final int REG_MONTH = 0x08;
    public static final int REG_YEAR = 0x09;
    public static final int REG_A = 0x0a;
    public static final int REG_B = 0x0b;
    public static final int REG_C = 0x0c;
    public static final int REG_D = 0x0d;
    public static final int REG_CENTURY = 0x32;

    public static final int A_UIP = 0x80;
    public static final int B_SET = 0x80;
    public static final int B_PIE = 0x40;
    public static final int B_AIE = 0x20;
    public static final int B_UIE = 0x10;
    public static final int B_SQWE = 0x08;
    public static final int B_DM_BINARY = 0x04;
    public static final int B_24H = 0x02;
    public static final int B_DSE = 0x01;
    public static final int C_IRQF = 0x80;
    public static final int C_PF = 0x40;
    public static final int C_AF = 0x20;
    public static final int C_UF = 0x10;
    public static final int D_VRT = 0x80;

    /** The divider chain's input frequency. */
    public static final long DIVIDER_HZ = 32_768;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** UIP rises this many divider ticks (244 µs) before an update. */
    private static final long UIP_TICKS = 8;
    private static final long DAY = 86_400;
    private static final long NEVER = Long.MAX_VALUE;

    /** Immutable snapshot; times are VM nanoseconds and divider ticks. */
    public record State(byte[] cmos, int index, boolean nmiDisabled, long divOrigin, long baseSeconds,
                        long baseBoundary, long lastTick, boolean irqLevel) {
        public State {
            cmos = cmos.clone();
        }

        @Override
        public byte[] cmos() {
            return cmos.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof State s && Arrays.equals(cmos, s.cmos) && index == s.index
                    && nmiDisabled == s.nmiDisabled && divOrigin == s.divOrigin
                    && baseSeconds == s.baseSeconds && baseBoundary == s.baseBoundary
                    && lastTick == s.lastTick && irqLevel == s.irqLevel;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(cmos) * 31 + Long.hashCode(baseSeconds) * 17 + Long.hashCode(lastTick);
        }

        @Override
        public String toString() {
            return "Rtc146818.State[index=" + index + ", nmiDisabled=" + nmiDisabled + ", divOrigin="
                    + divOrigin + ", baseSeconds=" + baseSeconds + ", baseBoundary=" + baseBoundary
                    + ", lastTick=" + lastTick + ", irqLevel=" + irqLevel + ", cmos="
                    + Arrays.toString(cmos) + "]";
        }
    }

    private final VmClock clock;
    private final IrqLine irq;
    /** Raw bytes. Time registers hold the frozen time while the clock is stopped; A has no UIP. */
    private final byte[] cmos = new byte[128];
    private int index;
    private boolean nmiDisabled;
    /** VM time at which the divider chain was at tick 0 (a second boundary). */
    private long divOrigin;
    /** While the clock runs: the time (seconds since 1970-01-01T00:00 local) after boundary baseBoundary. */
    private long baseSeconds;
    private long baseBoundary;
    /** Divider ticks up to which events have been processed. */
    private long lastTick;
    private boolean irqLevel;

    /**
     * @param clock the VM clock the divider runs on
     * @param wall  read once, for the starting local date and time (its zone) and second phase
     * @param irq8  the interrupt line (IRQ 8)
     */
    public Rtc146818(VmClock clock, Clock wall, IrqLine irq8) {
        this.clock = clock;
        this.irq = irq8;
        Instant now = wall.instant();
        LocalDateTime local = LocalDateTime.ofInstant(now, wall.getZone());
        long vm = clock.nanos();
        divOrigin = vm - now.getNano();
        baseSeconds = local.toEpochSecond(ZoneOffset.UTC);
        baseBoundary = Math.floorDiv(dividerTicks(vm), DIVIDER_HZ);
        lastTick = dividerTicks(vm);
        cmos[REG_A] = 0x26;
        cmos[REG_B] = B_24H;
        cmos[REG_D] = (byte) D_VRT;
        materialize(vm);
    }

    // ------------------------------------------------------------------------------------
    // Exact time conversion for the 32.768 kHz divider

    /** Divider ticks in {@code nanos} of VM time: floor(nanos * 32768 / 1e9). */
    static long ticksIn(long nanos) {
        return Math.floorDiv(nanos, NANOS_PER_SECOND) * DIVIDER_HZ
                + Math.floorMod(nanos, NANOS_PER_SECOND) * DIVIDER_HZ / NANOS_PER_SECOND;
    }

    /** The least duration holding {@code ticks} divider ticks: ceil(ticks * 1e9 / 32768). */
    static long nanosOfTicks(long ticks) {
        long seconds = Math.floorDiv(ticks, DIVIDER_HZ);
        long rest = Math.floorMod(ticks, DIVIDER_HZ);
        if (seconds >= Long.MAX_VALUE / NANOS_PER_SECOND) {
            return NEVER;
        }
        return seconds * NANOS_PER_SECOND + (rest * NANOS_PER_SECOND + DIVIDER_HZ - 1) / DIVIDER_HZ;
    }

    private long dividerTicks(long vm) {
        return ticksIn(vm - divOrigin);
    }

    private long vmTimeOfTick(long tick) {
        long d = nanosOfTicks(tick);
        return d == NEVER || divOrigin > NEVER - d ? NEVER : divOrigin + d;
    }

    /** The periodic interrupt period in divider ticks for rate select {@code rs} (1..15). */
    static long periodTicks(int rs) {
        return rs <= 2 ? 1L << (rs + 6) : 1L << (rs - 1);
    }

    // ------------------------------------------------------------------------------------
    // Clock state

    private int reg(int i) {
        return cmos[i] & 0xff;
    }

    private boolean dividerRunning() {
        return ((reg(REG_A) >>> 4) & 7) <= 2;
    }

    /** The time registers follow the time base (not frozen). */
    private boolean live() {
        return dividerRunning() && (reg(REG_B) & B_SET) == 0;
    }

    private long currentSeconds(long vm) {
        return baseSeconds + (Math.floorDiv(dividerTicks(vm), DIVIDER_HZ) - baseBoundary);
    }

    private boolean updateInProgress(long vm) {
        return live() && Math.floorMod(dividerTicks(vm), DIVIDER_HZ) >= DIVIDER_HZ - UIP_TICKS;
    }

    /** Sets the flags for everything that happened up to VM time {@code vm}. */
    private void processEvents(long vm) {
        if (!dividerRunning()) {
            return;
        }
        long d = dividerTicks(vm);
        if (d <= lastTick) {
            return;
        }
        int flags = 0;
        int rs = reg(REG_A) & 0x0f;
        if (rs != 0) {
            long p = periodTicks(rs);
            if (Math.floorDiv(d, p) > Math.floorDiv(lastTick, p)) {
                flags |= C_PF;
            }
        }
        if ((reg(REG_B) & B_SET) == 0) {
            long k0 = Math.floorDiv(lastTick, DIVIDER_HZ);
            long k1 = Math.floorDiv(d, DIVIDER_HZ);
            if (k1 > k0) {
                flags |= C_UF;
                // The alarm pattern repeats daily: the last day of missed updates covers it.
                for (long k = Math.max(k0 + 1, k1 - DAY + 1); k <= k1; k++) {
                    if (alarmMatches(baseSeconds + (k - baseBoundary))) {
                        flags |= C_AF;
                        break;
                    }
                }
            }
        }
        lastTick = d;
        if (flags != 0) {
            cmos[REG_C] = (byte) (reg(REG_C) | flags);
            updateIrq();
        }
    }

    private boolean alarmMatches(long seconds) {
        long sod = Math.floorMod(seconds, DAY);
        return matches(reg(REG_SECONDS_ALARM), encode((int) (sod % 60)))
                && matches(reg(REG_MINUTES_ALARM), encode((int) (sod / 60 % 60)))
                && matches(reg(REG_HOURS_ALARM), encodeHours((int) (sod / 3600)));
    }

    private static boolean matches(int alarm, int value) {
        return (alarm & 0xc0) == 0xc0 || alarm == value;
    }

    private void updateIrq() {
        boolean f = (reg(REG_C) & reg(REG_B) & (C_PF | C_AF | C_UF)) != 0;
        cmos[REG_C] = (byte) (f ? reg(REG_C) | C_IRQF : reg(REG_C) & ~C_IRQF);
        if (f != irqLevel) {
            irqLevel = f;
            irq.set(f);
        }
    }

    // ------------------------------------------------------------------------------------
    // Register encoding

    private boolean binary() {
        return (reg(REG_B) & B_DM_BINARY) != 0;
    }

    private int encode(int v) {
        return binary() ? v & 0xff : ((v / 10 % 10) << 4) | (v % 10);
    }

    private int decode(int b) {
        return binary() ? b : (b >>> 4) * 10 + (b & 0x0f);
    }

    private int encodeHours(int h) {
        if ((reg(REG_B) & B_24H) != 0) {
            return encode(h);
        }
        int h12 = h % 12 == 0 ? 12 : h % 12;
        return encode(h12) | (h >= 12 ? 0x80 : 0);
    }

    private int decodeHours(int b) {
        if ((reg(REG_B) & B_24H) != 0) {
            return decode(b);
        }
        return decode(b & 0x7f) % 12 + ((b & 0x80) != 0 ? 12 : 0);
    }

    private int encodeTimeRegister(int i, long seconds) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(seconds, 0, ZoneOffset.UTC);
        return switch (i) {
            case REG_SECONDS -> encode(t.getSecond());
            case REG_MINUTES -> encode(t.getMinute());
            case REG_HOURS -> encodeHours(t.getHour());
            case REG_DAY_OF_WEEK -> encode(t.getDayOfWeek().getValue() % 7 + 1);
            case REG_DAY_OF_MONTH -> encode(t.getDayOfMonth());
            case REG_MONTH -> encode(t.getMonthValue());
            case REG_YEAR -> encode(Math.floorMod(t.getYear(), 100));
            case REG_CENTURY -> encode(Math.floorMod(Math.floorDiv(t.getYear(), 100), 100));
            default -> reg(i);
        };
    }

    private static boolean isTimeRegister(int i) {
        return i == REG_SECONDS || i == REG_MINUTES || i == REG_HOURS || (i >= REG_DAY_OF_WEEK && i <= REG_YEAR)
                || i == REG_CENTURY;
    }

    private static final int[] TIME_REGISTERS = {REG_SECONDS, REG_MINUTES, REG_HOURS, REG_DAY_OF_WEEK,
            REG_DAY_OF_MONTH, REG_MONTH, REG_YEAR, REG_CENTURY};

    /** Writes the current time into the time registers. */
    private void materialize(long vm) {
        long s = currentSeconds(vm);
        for (int i : TIME_REGISTERS) {
            cmos[i] = (byte) encodeTimeRegister(i, s);
        }
    }

    /** Restarts the time base from the time registers (out-of-range fields carry over, as mktime). */
    private void parseTime(long vm) {
        long sec = decode(reg(REG_SECONDS));
        long min = decode(reg(REG_MINUTES));
        long hour = decodeHours(reg(REG_HOURS));
        long day = decode(reg(REG_DAY_OF_MONTH));
        long month = decode(reg(REG_MONTH));
        long year = decode(reg(REG_CENTURY)) * 100L + decode(reg(REG_YEAR));
        year += Math.floorDiv(month - 1, 12);
        int m = Math.floorMod(month - 1, 12) + 1;
        long days = LocalDate.of((int) year, m, 1).toEpochDay() + day - 1;
        baseSeconds = days * DAY + hour * 3600 + min * 60 + sec;
        baseBoundary = Math.floorDiv(dividerTicks(vm), DIVIDER_HZ);
    }

    // ------------------------------------------------------------------------------------
    // Register access

    private int readRegister(int i) {
        long vm = clock.nanos();
        processEvents(vm);
        if (isTimeRegister(i)) {
            return live() ? encodeTimeRegister(i, currentSeconds(vm)) : reg(i);
        }
        return switch (i) {
            case REG_A -> reg(REG_A) | (updateInProgress(vm) ? A_UIP : 0);
            case REG_C -> {
                int v = reg(REG_C);
                cmos[REG_C] = 0;
                updateIrq();
                yield v;
            }
            case REG_D -> D_VRT;
            default -> reg(i);
        };
    }

    private void writeRegister(int i, int v) {
        long vm = clock.nanos();
        processEvents(vm);
        if (isTimeRegister(i)) {
            if (live()) {
                materialize(vm);
                cmos[i] = (byte) v;
                parseTime(vm);
            } else {
                cmos[i] = (byte) v;
            }
            return;
        }
        switch (i) {
            case REG_A -> writeA(vm, v);
            case REG_B -> writeB(vm, v);
            case REG_C, REG_D -> { } // read-only
            default -> cmos[i] = (byte) v;
        }
    }

    private void writeA(long vm, int v) {
        boolean wasRunning = dividerRunning();
        if (wasRunning && live() && ((v >>> 4) & 7) > 2) {
            materialize(vm); // the clock stops: freeze the registers at the current time
        }
        cmos[REG_A] = (byte) (v & 0x7f);
        if (!wasRunning && dividerRunning()) {
            // The divider chain restarts from reset; the first update comes 500 ms later.
            divOrigin = vm - NANOS_PER_SECOND / 2;
            lastTick = dividerTicks(vm);
            if ((reg(REG_B) & B_SET) == 0) {
                parseTime(vm);
            }
        }
    }

    private void writeB(long vm, int v) {
        int b = v & 0xff;
        if ((b & B_SET) != 0) {
            b &= ~B_UIE;
        }
        boolean wasLive = live();
        if (wasLive && (b & B_SET) != 0) {
            materialize(vm);
        }
        cmos[REG_B] = (byte) b;
        if (!wasLive && live()) {
            parseTime(vm);
        }
        updateIrq();
    }

    // ------------------------------------------------------------------------------------
    // ByteIoDevice: wider accesses are split into byte accesses at consecutive ports

    @Override
    public int read8(int port) {
        return port == PORT_DATA ? readRegister(index) : 0xff;
    }

    @Override
    public void write8(int port, int b) {
        if (port == PORT_INDEX) {
            index = b & 0x7f;
            nmiDisabled = (b & 0x80) != 0;
        } else if (port == PORT_DATA) {
            writeRegister(index, b);
        }
    }

    // ------------------------------------------------------------------------------------
    // TimedDevice

    @Override
    public void advance(long now) {
        processEvents(now);
    }

    @Override
    public long nextDeadline() {
        if (!dividerRunning() || irqLevel) {
            return NEVER;
        }
        int b = reg(REG_B);
        int rs = reg(REG_A) & 0x0f;
        long next = NEVER;
        if ((b & B_PIE) != 0 && rs != 0) {
            long p = periodTicks(rs);
            next = Math.min(next, vmTimeOfTick((Math.floorDiv(lastTick, p) + 1) * p));
        }
        if ((b & B_SET) == 0 && (b & (B_UIE | B_AIE)) != 0) {
            next = Math.min(next, vmTimeOfTick((Math.floorDiv(lastTick, DIVIDER_HZ) + 1) * DIVIDER_HZ));
        }
        return next;
    }

    // ------------------------------------------------------------------------------------
    // CMOS contents

    /**
     * Fills the memory-size bytes for a guest with {@code bytes} of RAM (below 4 GiB): 0x15/0x16
     * base memory in KiB (640 at most), 0x17/0x18 and 0x30/0x31 extended memory above 1 MiB in
     * KiB (at most 0xffff, about 64 MiB), 0x34/0x35 memory above 16 MiB in 64 KiB units (at most
     * 0xffff), and the standard checksum of 0x10-0x2d at 0x2e (high) / 0x2f (low).
     */
    public void setMemorySize(long bytes) {
        long kib = Math.max(0, bytes) / 1024;
        putWord(0x15, Math.min(kib, 640));
        long extended = Math.clamp(kib - 1024, 0, 0xffff);
        putWord(0x17, extended);
        putWord(0x30, extended);
        putWord(0x34, Math.clamp((Math.max(0, bytes) - (16L << 20)) >> 16, 0, 0xffff));
        int sum = 0;
        for (int i = 0x10; i <= 0x2d; i++) {
            sum += reg(i);
        }
        cmos[0x2e] = (byte) (sum >>> 8);
        cmos[0x2f] = (byte) sum;
    }

    private void putWord(int i, long value) {
        cmos[i] = (byte) value;
        cmos[i + 1] = (byte) (value >>> 8);
    }

    /** A raw CMOS byte (for time registers: the frozen value, not the running time). */
    public int cmos(int i) {
        return reg(i & 0x7f);
    }

    /** Sets a CMOS RAM byte (0x0e-0x7f) directly, as firmware setup would. */
    public void setCmos(int i, int value) {
        if (i < 0x0e || i > 0x7f || i == REG_CENTURY) {
            throw new IllegalArgumentException("not a CMOS RAM byte: " + i);
        }
        cmos[i] = (byte) value;
    }

    /** The NMI-disable bit last written to port 0x70. */
    public boolean nmiDisabled() {
        return nmiDisabled;
    }

    public State state() {
        return new State(cmos, index, nmiDisabled, divOrigin, baseSeconds, baseBoundary, lastTick, irqLevel);
    }

    /** Restores a snapshot. The IRQ 8 line is not driven: restore the interrupt controller after this. */
    public void restore(State s) {
        System.arraycopy(s.cmos(), 0, cmos, 0, cmos.length);
        index = s.index() & 0x7f;
        nmiDisabled = s.nmiDisabled();
        divOrigin = s.divOrigin();
        baseSeconds = s.baseSeconds();
        baseBoundary = s.baseBoundary();
        lastTick = s.lastTick();
        irqLevel = s.irqLevel();
    }
}
