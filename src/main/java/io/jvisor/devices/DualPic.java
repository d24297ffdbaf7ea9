package io.jvisor.devices;

import io.jvisor.cpu.InterruptSource;
import io.jvisor.memory.ByteIoDevice;

/**
 * The PC/AT pair of 8259A interrupt controllers: the master at ports 0x20-0x21 drives the CPU's
 * INTR, the slave at ports 0xA0-0xA1 drives the master's IR2, and the PIIX-style edge/level
 * control registers sit at 0x4D0 (IRQ 0-7; IRQ 0, 1 and 2 are always edge) and 0x4D1
 * (IRQ 8-15; IRQ 8 and 13 are always edge). ICW1.LTIM is ignored, as on the PIIX: the ELCR
 * decides.
 *
 * <p>Devices drive {@link #irq(int)} lines. IRQ 2 is the cascade, so — as on the AT bus, where
 * the ISA IRQ2 pin was rewired — {@code irq(2)} is wired-OR'ed onto IRQ 9's input.
 *
 * <p>{@link #hasInterrupt()} reads a field kept equal to the master's INT pin, which the chips
 * recompute on every state change. {@link #acknowledge()} runs the INTA cycle: when the master
 * picks a cascade input the slave supplies the vector; when nothing is left to service the
 * master answers with its IR7 vector (spurious IRQ 7, no ISR bit set) and, behind the cascade,
 * the slave answers with its IR7 vector (spurious IRQ 15) while the master's IS2 bit is set, so
 * the guest must EOI the master only, exactly as on hardware.
 *
 * <p>Power-on state: both chips are left as a PC BIOS leaves them — initialized with ICW1=0x11,
 * vector bases 0x08 and 0x70, cascade on IR2, 8086 mode — with every IRQ masked except the
 * cascade. Guests reprogram them with their own ICW sequence.
 */
public final class DualPic implements ByteIoDevice, InterruptSource {
    public static final int MASTER_COMMAND = 0x20;
    public static final int MASTER_DATA = 0x21;
    public static final int SLAVE_COMMAND = 0xa0;
    public static final int SLAVE_DATA = 0xa1;
    public static final int ELCR1 = 0x4d0;
    public static final int ELCR2 = 0x4d1;
    /** The master input the slave's INT drives. */
    public static final int CASCADE_INPUT = 2;

    /** Immutable snapshot: both chips and the levels the IRQ lines are driven to. */
    public record State(Pic8259.State master, Pic8259.State slave, int lineLevels) {
    }

    private final Pic8259 master;
    private final Pic8259 slave;
    private final IrqLine[] lines = new IrqLine[16];
    /** The master's INT pin (volatile: a vCPU polls it without the lock). */
    private volatile boolean intr;
    /** Bit n: the level device line irq(n) is driven to. */
    private int lineLevels;

    public DualPic() {
        master = new Pic8259(true, 0xf8, false, high -> intr = high);
        slave = new Pic8259(false, 0xde, false, master.input(CASCADE_INPUT));
        for (int n = 0; n < 16; n++) {
            int irq = n;
            lines[n] = high -> setLine(irq, high);
        }
        initialize(0x08, 0x70);
        master.write(1, 0xff & ~(1 << CASCADE_INPUT));
        slave.write(1, 0xff);
    }

    /**
     * Runs the standard PC initialization sequence on both chips (edge, cascade on IR2, 8086
     * mode, normal EOI) with the given vector bases; all IRQs end up unmasked, as after ICW1.
     */
    public synchronized void initialize(int masterBase, int slaveBase) {
        master.write(0, 0x11);
        master.write(1, masterBase);
        master.write(1, 1 << CASCADE_INPUT);
        master.write(1, 0x01);
        slave.write(0, 0x11);
        slave.write(1, slaveBase);
        slave.write(1, CASCADE_INPUT);
        slave.write(1, 0x01);
    }

    /** The interrupt request line IRQ {@code n} (0..15); the same object on every call. */
    public IrqLine irq(int n) {
        if (n < 0 || n > 15) {
            throw new IllegalArgumentException("IRQ " + n);
        }
        return lines[n];
    }

    private synchronized void setLine(int n, boolean high) {
        int old = lineLevels;
        lineLevels = high ? lineLevels | (1 << n) : lineLevels & ~(1 << n);
        if (old == lineLevels) {
            return;
        }
        int pin = n == 2 ? 9 : n;
        boolean level = (lineLevels & (1 << pin)) != 0 || (pin == 9 && (lineLevels & (1 << 2)) != 0);
        if (pin < 8) {
            master.setInput(pin, level);
        } else {
            slave.setInput(pin - 8, level);
        }
    }

    // ------------------------------------------------------------------------------------
    // InterruptSource

    @Override
    public boolean hasInterrupt() {
        return intr;
    }

    @Override
    public synchronized int acknowledge() {
        int level = master.acknowledgeLevel();
        if (level < 0) {
            return master.vector(7);
        }
        if (master.isCascade(level)) {
            int s = slave.acknowledgeLevel();
            return slave.vector(s < 0 ? 7 : s);
        }
        return master.vector(level);
    }

    // ------------------------------------------------------------------------------------
    // ByteIoDevice: wider accesses are split into byte accesses at consecutive ports

    @Override
    public synchronized int read8(int port) {
        return switch (port) {
            case MASTER_COMMAND, MASTER_DATA -> master.read(port & 1);
            case SLAVE_COMMAND, SLAVE_DATA -> slave.read(port & 1);
            case ELCR1 -> master.elcr();
            case ELCR2 -> slave.elcr();
            default -> 0xff;
        };
    }

    @Override
    public synchronized void write8(int port, int value) {
        switch (port) {
            case MASTER_COMMAND, MASTER_DATA -> master.write(port & 1, value);
            case SLAVE_COMMAND, SLAVE_DATA -> slave.write(port & 1, value);
            case ELCR1 -> master.setElcr(value);
            case ELCR2 -> slave.setElcr(value);
            default -> { }
        }
    }

    // ------------------------------------------------------------------------------------

    public Pic8259 master() {
        return master;
    }

    public Pic8259 slave() {
        return slave;
    }

    public synchronized State state() {
        return new State(master.state(), slave.state(), lineLevels);
    }

    public void restore(State s) {
        lineLevels = s.lineLevels() & 0xffff;
        slave.restore(s.slave());   // drives the master's IR2 pin...
        master.restore(s.master()); // ...which the master's own snapshot then overrides
    }
}
