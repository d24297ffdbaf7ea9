package io.jvisor.devices;

import io.jvisor.memory.IoBus;
import io.jvisor.memory.IoDevice;

/**
 * The PCI host bridge: configuration mechanism #1 for bus 0, with an Intel 440FX-like host
 * bridge at 00:00.0 and a PIIX3-like PCI-to-ISA bridge at 00:01.0.
 *
 * <p>Ports (see {@link #register}):
 * <ul>
 *   <li>0xCF8, CONFIG_ADDRESS: a 32-bit register, reached only by 32-bit accesses. Bit 31
 *       enables configuration cycles, bits 23:16 bus, 15:11 device, 10:8 function, 7:2
 *       dword. Bits 30:24 and 1:0 read as zero. Byte and word accesses at 0xCF8 do not touch
 *       it; they read as all ones (as on a PIIX3, where they fall through to the ISA bus),
 *       which is also what makes Linux's configuration mechanism #2 probe fail.</li>
 *   <li>0xCFA-0xCFB: 0xCFB is a byte latch (the "configuration mechanism select" that
 *       Linux's {@code pci_check_type1} sets to 1 before probing); it reads back what was
 *       written and changes nothing, since only mechanism #1 exists. 0xCFA reads as all
 *       ones.</li>
 *   <li>0xCFC-0xCFF, CONFIG_DATA: any size at any byte offset, reaching byte
 *       {@code (address & 0xfc) + (port - 0xcfc)} of the addressed function.</li>
 * </ul>
 * Port 0xCF9 is left free for the PIIX reset control register, which {@link AcpiPm}
 * implements.
 *
 * <p>Only bus 0 exists. A read from a missing function, another bus, or with the enable
 * bit clear returns all ones; such writes are dropped.
 *
 * <p>INTx routing is the PIIX's fixed swizzle: pin P (0 = INTA#) of slot S drives PIRQ
 * {@code (S + P - 1) & 3}, and PIRQA..D are wired to IRQs 10, 10, 11, 11
 * ({@link #intxIrq}). The DSDT's {@code _PRT} ({@link AcpiTables}) states the same table, and
 * {@link #plug} writes the IRQ into a new function's interrupt line register, as firmware
 * would.
 */
public final class PciHostBridge implements IoDevice {
    public static final int ADDRESS_PORT = 0xcf8;
    public static final int MECHANISM_PORT = 0xcfb;
    public static final int DATA_PORT = 0xcfc;

    public static final int ENABLE = 0x8000_0000;
    /** CONFIG_ADDRESS bits that hold a value: enable, bus, device, function, dword. */
    public static final int ADDRESS_MASK = 0x80ff_fffc;

    /** ISA IRQs that PIRQA..PIRQD are routed to. */
    private static final int[] PIRQ_IRQS = {10, 10, 11, 11};

    private final PciDevice[] functions = new PciDevice[256];   // by devfn, bus 0
    private final HostBridge hostBridge = new HostBridge();
    private final IsaBridge isaBridge = new IsaBridge();
    private int address;
    private int mechanism;

    public PciHostBridge() {
        plug(0, 0, hostBridge);
        plug(1, 0, isaBridge);
    }

    /** Registers the bridge's ports: 0xCF8, 0xCFA-0xCFB and 0xCFC-0xCFF (not 0xCF9). */
    public void register(IoBus bus) {
        bus.register(ADDRESS_PORT, 1, this);
        bus.register(0xcfa, 2, this);
        bus.register(DATA_PORT, 4, this);
    }

    /**
     * Puts {@code device} at bus 0, {@code slot} (0..31), {@code function} (0..7). If it has
     * an interrupt pin, its interrupt line register is set to the IRQ the pin is routed to.
     */
    public void plug(int slot, int function, PciDevice device) {
        if (slot < 0 || slot > 31 || function < 0 || function > 7) {
            throw new IllegalArgumentException("bad PCI slot/function " + slot + "." + function);
        }
        int devfn = slot << 3 | function;
        if (functions[devfn] != null) {
            throw new IllegalStateException(String.format("PCI 00:%02x.%d already present", slot, function));
        }
        int pin = device.interruptPin();
        if (pin != 0) {
            device.setConfig8(PciDevice.INTERRUPT_LINE, intxIrq(slot, pin - 1));
        }
        functions[devfn] = device;
    }

    /** The function at 00:slot.function, or null. */
    public PciDevice device(int slot, int function) {
        return functions[slot << 3 | function];
    }

    public PciDevice hostBridge() {
        return hostBridge;
    }

    public PciDevice isaBridge() {
        return isaBridge;
    }

    /** The ISA IRQ that interrupt pin {@code pin} (0 = INTA# .. 3 = INTD#) of {@code slot} raises. */
    public static int intxIrq(int slot, int pin) {
        return PIRQ_IRQS[(slot + pin - 1) & 3];
    }

    /** The current CONFIG_ADDRESS value. */
    public int address() {
        return address;
    }

    @Override
    public int in(int port, int size) {
        int ones = size == 1 ? 0xff : size == 2 ? 0xffff : -1;
        if (port == ADDRESS_PORT) {
            return size == 4 ? address : ones;
        }
        if (port == MECHANISM_PORT) {
            return size == 1 ? mechanism : ones;
        }
        if (port >= DATA_PORT && port <= DATA_PORT + 3) {
            PciDevice d = target();
            if (d == null) {
                return ones;
            }
            return d.readConfig((address & 0xfc) + (port - DATA_PORT), size);
        }
        return ones;
    }

    @Override
    public void out(int port, int size, int value) {
        if (port == ADDRESS_PORT) {
            if (size == 4) {
                address = value & ADDRESS_MASK;
            }
        } else if (port == MECHANISM_PORT) {
            if (size == 1) {
                mechanism = value & 0xff;
            }
        } else if (port >= DATA_PORT && port <= DATA_PORT + 3) {
            PciDevice d = target();
            if (d != null) {
                d.writeConfig((address & 0xfc) + (port - DATA_PORT), size, value);
            }
        }
    }

    /** The function CONFIG_ADDRESS selects, or null for none (disabled, other bus, empty slot). */
    private PciDevice target() {
        if ((address & ENABLE) == 0 || (address >>> 16 & 0xff) != 0) {
            return null;
        }
        return functions[address >>> 8 & 0xff];
    }

    // ---- snapshot ----

    /** The bridge's registers and the configuration spaces of its two built-in functions. */
    public record State(int address, int mechanism, PciDevice.ConfigState hostBridge, PciDevice.ConfigState isaBridge) { }

    public State state() {
        return new State(address, mechanism, hostBridge.configState(), isaBridge.configState());
    }

    public void restore(State s) {
        address = s.address() & ADDRESS_MASK;
        mechanism = s.mechanism() & 0xff;
        hostBridge.restoreConfig(s.hostBridge());
        isaBridge.restoreConfig(s.isaBridge());
    }

    // ---- the built-in functions ----

    /**
     * 00:00.0, the 82441FX PCI and memory controller (PMC) as seen from configuration space:
     * 8086:1237 revision 2, class 06 00 00. The chipset registers that Linux never needs
     * are plain read/write storage: PAM (0x59-0x5f) and SMRAM (0x72).
     */
    static final class HostBridge extends PciDevice {
        HostBridge() {
            super(0x8086, 0x1237, 0x060000, 0x02, false);
            setConfig16(COMMAND, COMMAND_MEMORY | COMMAND_MASTER);
            setConfig16(STATUS, STATUS_DEVSEL_MEDIUM | 0x0080);     // + fast back-to-back capable
            setWritable(COMMAND, 2, COMMAND_PARITY | COMMAND_SERR);  // memory and master hardwired on
            setWritable(0x59, 1, 0x30);                              // PAM0: BIOS area 0xF0000
            for (int r = 0x5a; r <= 0x5f; r++) {
                setWritable(r, 1, 0x33);                             // PAM1..6: two 16 KiB areas each
            }
            setConfig8(0x72, 0x02);                                  // SMRAM: C_BASE_SEG = 0xA0000
            setWritable(0x72, 1, 0x78);                              // D_OPEN, D_CLS, D_LCK, G_SMRAME
        }
    }

    /**
     * 00:01.0, the 82371SB (PIIX3) function 0, PCI-to-ISA bridge: 8086:7000, class 06 01 00,
     * multi-function (the real part has IDE and USB functions; here they are absent). The
     * PIRQ route control registers 0x60-0x63 hold the fixed routing ({@link #intxIrq});
     * they accept writes but the routing does not change, as the DSDT's static _PRT says.
     * 0x82 (DLC), which Linux's 82441 passive-release quirk sets, is writable.
     */
    static final class IsaBridge extends PciDevice {
        IsaBridge() {
            super(0x8086, 0x7000, 0x060100, 0x00, true);
            setConfig16(COMMAND, COMMAND_IO | COMMAND_MEMORY | COMMAND_MASTER);
            setWritable(COMMAND, 2, COMMAND_PARITY | COMMAND_SERR);
            setConfig8(0x4c, 0x4d);                                  // IORT: ISA I/O recovery timer
            setWritable(0x4c, 1, 0xff);
            setConfig16(0x4e, 0x0003);                               // XBCS: RTC and keyboard decode
            setWritable(0x4e, 2, 0x03ff);
            for (int i = 0; i < 4; i++) {
                setConfig8(0x60 + i, PIRQ_IRQS[i]);                  // PIRQRC[A..D]: routed, IRQ n
                setWritable(0x60 + i, 1, 0x8f);
            }
            setConfig8(0x69, 0x02);                                  // TOM
            setWritable(0x69, 1, 0xfe);
            setConfig8(0x70, 0x80);                                  // MBIRQ0: disabled
            setWritable(0x70, 1, 0xcf);
            setConfig8(0x76, 0x0c);                                  // MBDMA0/1: disabled
            setConfig8(0x77, 0x0c);
            setWritable(0x76, 2, 0x8f8f);
            setWritable(0x82, 1, 0x0f);                              // DLC
            setWritable(0xa0, 1, 0x1f);                              // SMICNTL
        }
    }
}
