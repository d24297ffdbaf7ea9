package io.jvisor.devices;

/**
 * The I/O APIC (82093AA register model, as on a PC's chipset): 24 input pins, each with a
 * 64-bit redirection entry (vector, delivery mode, destination mode, polarity, Remote IRR,
 * trigger mode, mask, destination), reached through the index/data window at
 * {@link #DEFAULT_BASE} (IOREGSEL at +0x00, IOWIN at +0x10) and the EOI register at +0x40.
 *
 * <p>A pin's line is the device's logical request (asserted or not, as {@link IrqLine} says);
 * the polarity bit is kept for the guest to read back but does not invert it, since the
 * devices model assertion, not the electrical level of a shared active-low PCI line.
 * Edge-triggered pins send a message on each assertion; level-triggered pins send one
 * while the line is asserted and Remote IRR is clear, set Remote IRR, and send again after
 * the local APIC's EOI broadcast ({@link #eoi}) if the line is still asserted. Messages go
 * over the {@link ApicBus} in the ICR's layout.
 */
public final class IoApic implements io.jvisor.memory.MmioHandler {
    public static final long DEFAULT_BASE = 0xfec0_0000L;
    public static final int PINS = 24;
    public static final int REG_ID = 0x00, REG_VERSION = 0x01, REG_ARB = 0x02, REG_TABLE = 0x10;
    /** Version 0x20, maximum redirection entry 23. */
    public static final int VERSION = (PINS - 1) << 16 | 0x20;

    public static final long MASKED = 1L << 16;
    public static final long LEVEL = 1L << 15;
    public static final long REMOTE_IRR = 1L << 14;
    public static final long ACTIVE_LOW = 1L << 13;
    public static final long DELIVERY_PENDING = 1L << 12;
    public static final long LOGICAL = 1L << 11;

    private final ApicBus bus;
    private int id;
    private int select;
    private final long[] table = new long[PINS];
    /** The electrical level of each pin as the devices drive it (before polarity). */
    private int lines;

    public IoApic(ApicBus bus) {
        this.bus = bus;
        reset();
    }

    public synchronized void reset() {
        id = 0;
        select = 0;
        java.util.Arrays.fill(table, MASKED);
        lines = 0;
    }

    /** One input pin as a line a device drives (polarity is the redirection entry's business). */
    public IrqLine pin(int n) {
        if (n < 0 || n >= PINS) {
            throw new IllegalArgumentException("I/O APIC pin " + n);
        }
        return high -> set(n, high);
    }

    public synchronized long entry(int pin) {
        return table[pin];
    }

    @Override
    public synchronized int read(long offset, int size) {
        int off = (int) offset & 0xff;
        if (off == 0x00) {
            return select;
        }
        if (off != 0x10) {
            return 0;
        }
        return switch (select) {
            case REG_ID -> id << 24;
            case REG_VERSION -> VERSION;
            case REG_ARB -> id << 24;
            default -> {
                int i = select - REG_TABLE;
                if (i < 0 || i >= 2 * PINS) {
                    yield 0;
                }
                long e = table[i >> 1];
                yield (i & 1) == 0 ? (int) e : (int) (e >>> 32);
            }
        };
    }

    @Override
    public synchronized void write(long offset, int size, int value) {
        int off = (int) offset & 0xff;
        if (off == 0x00) {
            select = value & 0xff;
            return;
        }
        if (off == 0x40) {
            eoi(value & 0xff);
            return;
        }
        if (off != 0x10) {
            return;
        }
        if (select == REG_ID) {
            id = value >>> 24 & 0xf;
            return;
        }
        int i = select - REG_TABLE;
        if (i < 0 || i >= 2 * PINS) {
            return;
        }
        int pin = i >> 1;
        long e = table[pin];
        if ((i & 1) == 0) {
            // low word: Remote IRR and delivery status are read-only
            long ro = REMOTE_IRR | DELIVERY_PENDING;
            e = (e & ~0xffff_ffffL) | (e & ro) | (value & 0xffff_ffffL & ~ro);
            if ((e & LEVEL) == 0) {
                e &= ~REMOTE_IRR;   // an edge-triggered entry has no Remote IRR
            }
        } else {
            e = (e & 0xffff_ffffL) | ((long) value & 0xff00_0000L) << 32;
        }
        table[pin] = e;
        service(pin);   // unmasking a level-triggered pin that is asserted delivers it now
    }

    private synchronized void set(int pin, boolean high) {
        int bit = 1 << pin;
        boolean was = (lines & bit) != 0;
        lines = high ? lines | bit : lines & ~bit;
        long e = table[pin];
        if ((e & LEVEL) == 0) {
            if (high && !was && (e & MASKED) == 0) {
                send(e);   // an edge: one message
            }
        } else {
            service(pin);
        }
    }

    private boolean asserted(int pin) {
        return (lines & 1 << pin) != 0;
    }

    /** A level-triggered pin: a message while asserted, unmasked and not already in service. */
    private void service(int pin) {
        long e = table[pin];
        if ((e & LEVEL) != 0 && (e & MASKED) == 0 && (e & REMOTE_IRR) == 0 && asserted(pin)) {
            table[pin] = e | REMOTE_IRR;
            send(e);
        }
    }

    /** The EOI broadcast for {@code vector}: Remote IRR clears and asserted pins deliver again. */
    public synchronized void eoi(int vector) {
        for (int pin = 0; pin < PINS; pin++) {
            long e = table[pin];
            if ((e & LEVEL) != 0 && (e & 0xff) == vector && (e & REMOTE_IRR) != 0) {
                table[pin] = e & ~REMOTE_IRR;
                service(pin);
            }
        }
    }

    private void send(long e) {
        int vector = (int) e & 0xff;
        int mode = (int) (e >>> 8) & 7;
        int icr = vector | mode << 8 | ((e & LEVEL) != 0 ? (1 << 15 | 1 << 14) : 1 << 14);
        bus.deliver((int) (e >>> 56), (e & LOGICAL) != 0, icr);
    }
}
