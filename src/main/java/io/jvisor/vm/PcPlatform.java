package io.jvisor.vm;

import io.jvisor.cpu.CpuId;
import io.jvisor.devices.AcpiPm;
import io.jvisor.devices.AcpiTables;
import io.jvisor.devices.ApicBus;
import io.jvisor.devices.IoApic;
import io.jvisor.devices.IrqLine;
import io.jvisor.devices.LocalApic;
import io.jvisor.devices.MpTable;
import io.jvisor.devices.DebugConsole;
import io.jvisor.devices.DebugExit;
import io.jvisor.devices.DualPic;
import io.jvisor.devices.FpuErrorLatch;
import io.jvisor.devices.FwCfg;
import io.jvisor.devices.Hpet;
import io.jvisor.devices.I8042;
import io.jvisor.devices.PcSpeakerPort;
import io.jvisor.devices.PcTestDev;
import io.jvisor.devices.PciHostBridge;
import io.jvisor.devices.PciTestDev;
import io.jvisor.devices.Pit8254;
import io.jvisor.devices.PortA92;
import io.jvisor.devices.PostCodes;
import io.jvisor.devices.PvPanic;
import io.jvisor.devices.Rtc146818;
import io.jvisor.devices.TimedDevice;
import io.jvisor.devices.Uart16550;
import io.jvisor.devices.VmClock;
import io.jvisor.memory.IoBus;
import io.jvisor.memory.PhysicalMemory;

import java.io.OutputStream;
import java.time.Clock;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;

/**
 * The PC the guest sees: the 8259 pair, the 8254 with port 0x61, the MC146818 RTC/CMOS,
 * a 16550A on COM1, the i8042 and port 0x92, a PCI host bridge, ACPI tables with the PM
 * block and the reset register, and the test ports (0xe9 debug console, 0xf4 debug exit,
 * 0x80/0x190 POST codes; QEMU's pvpanic at 0x505 when asked for, and QEMU's fw_cfg at 0x510). It owns the wiring of interrupt lines; the VM drives its time.
 */
final class PcPlatform {
    /** What the guest asked the machine to do. */
    interface Power {
        void powerOff();

        void reset();

        void debugExit(int status);

        /** The guest reported a panic through the pvpanic device. */
        void panic();
    }

    final DualPic pic = new DualPic();
    /**
     * The APIC bus, a local APIC per vCPU (the BSP's first) and the I/O APIC (the 8259 pair
     * stays for ExtINT and legacy guests). Each vCPU reaches its own APIC's registers at the
     * IA32_APIC_BASE address (the CPU dispatches that page, see Cpu.physRead), and advances
     * its timer on its own thread.
     */
    final ApicBus apicBus = new ApicBus();
    final LocalApic[] lapics;
    /** The BSP's local APIC. */
    final LocalApic lapic;
    final IoApic ioapic;
    /** The HPET; in legacy replacement mode its timers 0 and 1 take over IRQ 0 and IRQ 8 from the PIT and RTC. */
    final Hpet hpet;
    final Pit8254 pit;
    final Rtc146818 rtc;
    final Uart16550 com1;
    final I8042 kbc;
    final PciHostBridge pci = new PciHostBridge();
    final AcpiPm acpi;
    final DebugConsole debugcon;
    /** FERR# to IRQ 13, cleared by a write to port 0xF0 (wire the CPU's x87 to it). */
    final FpuErrorLatch fpuError;
    final AcpiTables.Layout acpiLayout;
    /** QEMU's firmware configuration ports (RAM size, CPU count, command line). */
    final FwCfg fwCfg;
    /** The devices shared by all vCPUs whose time the VM advances (holding the port bus's lock). */
    private final TimedDevice[] timed;
    private final IoBus io;

    private boolean a20FromKbc = true, a20From92;

    PcPlatform(PhysicalMemory mem, IoBus io, VmClock clock, OutputStream serialOut, OutputStream debugOut,
               Power power, Consumer<String> log, Consumer<Boolean> a20, boolean pvpanic,
               java.util.function.IntFunction<LongSupplier> tsc, int cpus) {
        this.io = io;
        ioapic = new IoApic(apicBus);
        lapics = new LocalApic[cpus];
        for (int n = 0; n < cpus; n++) {
            lapics[n] = new LocalApic(n, clock, pic, tsc.apply(n));
            apicBus.attach(lapics[n]);
            lapics[n].setEoiBroadcast(ioapic::eoi);
        }
        lapic = lapics[0];
        mem.addMmio(IoApic.DEFAULT_BASE, 0x1000, ioapic);
        hpet = new Hpet(clock, ioapic::pin, isa(0), isa(8));
        mem.addMmio(Hpet.DEFAULT_BASE, 0x400, hpet);
        // the chipset opens A20 when either the i8042 output port or port 0x92 asks for it
        IntConsumer kbcA20 = on -> {
            a20FromKbc = on != 0;
            a20.accept(a20FromKbc || a20From92);
        };
        IntConsumer portA20 = on -> {
            a20From92 = on != 0;
            a20.accept(a20FromKbc || a20From92);
        };
        pit = new Pit8254(clock, unlessHpetLegacy(isa(0)));
        rtc = new Rtc146818(clock, Clock.systemUTC(), unlessHpetLegacy(isa(8)));
        rtc.setMemorySize(mem.ramSize());
        com1 = new Uart16550(Uart16550.COM1_BASE, isa(Uart16550.COM1_IRQ), clock, serialOut);
        kbc = new I8042(isa(1), isa(12), power::reset, kbcA20);
        acpi = new AcpiPm(clock, isa(9), power::powerOff, power::reset);
        debugcon = new DebugConsole(debugOut);
        fpuError = new FpuErrorLatch(isa(13));
        io.register(FpuErrorLatch.PORT, 1, fpuError);

        io.register(DualPic.MASTER_COMMAND, 2, pic);
        io.register(DualPic.SLAVE_COMMAND, 2, pic);
        io.register(DualPic.ELCR1, 2, pic);
        io.register(Pit8254.PORT_COUNTER0, 4, pit);
        io.register(PcSpeakerPort.PORT, 1, new PcSpeakerPort(pit));
        io.register(Rtc146818.PORT_INDEX, 2, rtc);
        io.register(com1.base(), Uart16550.PORT_COUNT, com1);
        io.register(0x60, 1, kbc);
        io.register(0x64, 1, kbc);
        io.register(PortA92.PORT, 1, new PortA92(power::reset, portA20));
        pci.register(io);
        acpi.register(io);
        io.register(DebugConsole.PORT, 1, debugcon);
        io.register(DebugExit.PORT, 1, new DebugExit(power::debugExit));
        PostCodes post = new PostCodes(log);
        io.register(0x80, 1, post);
        io.register(0x190, 1, post);
        if (pvpanic) {
            io.register(PvPanic.PORT, 1, new PvPanic(power::panic));
        }
        fwCfg = new FwCfg(mem.ramSize(), cpus, null);
        io.register(FwCfg.SELECTOR_PORT, 2, fwCfg);
        acpiLayout = new AcpiTables(mem.ramSize(), pvpanic, true, cpus).install(mem);
        new MpTable(cpus, CpuId.SIGNATURE, CpuId.features() | CpuId.APIC).install(mem, MpTable.DEFAULT_ADDRESS);
        timed = new TimedDevice[] {pit, rtc, com1, kbc, acpi, hpet};
    }

    /**
     * ISA IRQ {@code n} as a device drives it: to the 8259 pair and to the I/O APIC, on pin n
     * except IRQ 0 (the PIT), which is on pin 2 as the MADT's interrupt source override says.
     */
    private IrqLine isa(int n) {
        IrqLine toPic = pic.irq(n);
        IrqLine toIoApic = ioapic.pin(n == 0 ? 2 : n);
        return high -> {
            toPic.set(high);
            toIoApic.set(high);
        };
    }

    /**
     * The device state a PC BIOS leaves for the operating system it boots (as QEMU's SeaBIOS
     * does), for direct kernel and multiboot boots: both 8259s initialised at vectors 0x08 and
     * 0x70 with IRQs 0, 1, 2 and 6 unmasked (timer, keyboard, cascade, floppy), and PIT
     * channel 0 in mode 3 with the full count 65536 (18.2 Hz).
     */
    void firmwareState(IoBus io) {
        pic.initialize(0x08, 0x70);
        io.out(DualPic.MASTER_DATA, 1, 0xb8);
        io.out(DualPic.SLAVE_DATA, 1, 0xff);
        io.out(Pit8254.PORT_COUNTER0 + 3, 1, 0x36);   // channel 0, lobyte/hibyte, mode 3, binary
        io.out(Pit8254.PORT_COUNTER0, 1, 0);
        io.out(Pit8254.PORT_COUNTER0, 1, 0);
    }

    /** A PIT or RTC line, cut off while the HPET is in legacy replacement mode (HPET spec 2.3.9.2.1). */
    private IrqLine unlessHpetLegacy(IrqLine line) {
        return high -> {
            if (!hpet.legacyReplacement()) {
                line.set(high);
            }
        };
    }

    /** Adds QEMU's x86 test device: its IRQ ports drive the I/O APIC's pins directly (GSIs). */
    void addPcTestdev(PhysicalMemory mem, IoBus io) {
        PcTestDev t = new PcTestDev(ioapic::pin);
        io.register(PcTestDev.IRQ_PORT, PcTestDev.IRQ_LINES, t);
        io.register(PcTestDev.SCRATCH_PORT, 4, t);
        io.register(PcTestDev.FLUSH_PAGE_PORT, 4, t);
        mem.addMmio(PcTestDev.IOMEM_BASE, PcTestDev.IOMEM_LENGTH, t);
    }

    /**
     * QEMU's pci-testdev at 00:03.0, its BARs placed as firmware would place them (memory at
     * the top of the PCI hole, I/O at 0xC000, where SeaBIOS starts) and decoding enabled;
     * the guest may move them.
     */
    void addPciTestdev(PhysicalMemory mem, IoBus io) {
        PciTestDev t = new PciTestDev();
        pci.plug(3, 0, t);
        t.attach(mem, io);
        t.assignBar(0, AcpiTables.PCI_HOLE_END + 1 - PciTestDev.MEM_SIZE);
        t.assignBar(1, PCI_IO_BASE);
    }

    /** Where firmware starts assigning PCI I/O BARs. */
    static final int PCI_IO_BASE = 0xc000;

    /** Brings every shared timed device up to VM time {@code now} (the local APICs are their vCPUs' business). */
    void advance(long now) {
        synchronized (io) {
            for (TimedDevice d : timed) {
                d.advance(now);
            }
        }
    }

    /** The earliest VM time at which a shared device wants to act (Long.MIN_VALUE: now). */
    long nextDeadline() {
        long t = Long.MAX_VALUE;
        synchronized (io) {
            for (TimedDevice d : timed) {
                t = Math.min(t, d.nextDeadline());
            }
        }
        return t;
    }

    List<TimedDevice> timedDevices() {
        List<TimedDevice> all = new java.util.ArrayList<>(List.of(timed));
        all.addAll(List.of(lapics));
        return all;
    }

    void flush() {
        com1.flush();
        debugcon.flush();
    }
}
