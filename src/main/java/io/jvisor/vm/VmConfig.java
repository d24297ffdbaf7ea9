package io.jvisor.vm;

import io.jvisor.engine.EngineOptions;

import java.nio.file.Path;
import java.util.List;

/**
 * What a VM is made of. Paths are read when the VM is built; all validation happens
 * before anything runs.
 *
 * @param memoryBytes guest RAM
 * @param kernel      Linux bzImage or multiboot kernel, or null
 * @param modules     initrd (Linux) or multiboot modules, in order
 * @param cmdline     kernel command line
 * @param bios        ROM image for a BIOS boot, or null
 * @param debugcon    where port 0xe9 output goes: a file, or null for standard output
 * @param noReboot    a reset ends the VM instead of restarting it
 * @param serial      where COM1 output goes: a file, or null for standard output
 * @param deterministicClock VM time from instructions retired (1 ns each) instead of the host clock
 * @param engine      the execution tier (interpreter, or translator with its settings)
 * @param name        the VM's name for messages and the monitor (QEMU's -name), or null
 * @param pvpanic     offer QEMU's pvpanic device (I/O port 0x505, ACPI "QEMU0001")
 * @param cpus        vCPUs (1 to {@link #MAX_CPUS}), each run by a host thread of its own
 * @param pcTestdev   offer QEMU's x86 test device (-device pc-testdev: IRQ ports 0x2000-0x2017,
 *                    scratch port 0xE0, MMIO scratch at 0xFF000000)
 * @param pciTestdev  offer QEMU's PCI test device (-device pci-testdev, 1b36:0005) at 00:03.0
 */
public record VmConfig(long memoryBytes, Path kernel, List<Path> modules, String cmdline, Path bios, Path debugcon,
                       boolean noReboot, Path serial, boolean deterministicClock, EngineOptions engine, String name,
                       boolean pvpanic, int cpus, boolean pcTestdev, boolean pciTestdev) {
    public static final long DEFAULT_MEMORY = 128L << 20;
    /** The most vCPUs a VM may have (as QEMU's -smp on this machine type: APIC IDs and the MADT allow more). */
    public static final int MAX_CPUS = 16;

    public VmConfig(long memoryBytes, Path kernel, List<Path> modules, String cmdline, Path bios, Path debugcon,
                    boolean noReboot, Path serial, boolean deterministicClock, EngineOptions engine, String name,
                    boolean pvpanic) {
        this(memoryBytes, kernel, modules, cmdline, bios, debugcon, noReboot, serial, deterministicClock, engine, name,
                pvpanic, 1, false, false);
    }

    public VmConfig(long memoryBytes, Path kernel, List<Path> modules, String cmdline, Path bios, Path debugcon,
                    boolean noReboot, Path serial, boolean deterministicClock, EngineOptions engine) {
        this(memoryBytes, kernel, modules, cmdline, bios, debugcon, noReboot, serial, deterministicClock, engine,
                null, false);
    }

    /** With the engine the system properties choose ({@link EngineOptions#fromSystemProperties()}). */
    public VmConfig(long memoryBytes, Path kernel, List<Path> modules, String cmdline, Path bios, Path debugcon,
                    boolean noReboot, Path serial, boolean deterministicClock) {
        this(memoryBytes, kernel, modules, cmdline, bios, debugcon, noReboot, serial, deterministicClock,
                EngineOptions.fromSystemProperties());
    }

    public VmConfig withEngine(EngineOptions e) {
        return new VmConfig(memoryBytes, kernel, modules, cmdline, bios, debugcon, noReboot, serial, deterministicClock, e,
                name, pvpanic, cpus, pcTestdev, pciTestdev);
    }

    public VmConfig withName(String n) {
        return new VmConfig(memoryBytes, kernel, modules, cmdline, bios, debugcon, noReboot, serial, deterministicClock,
                engine, n, pvpanic, cpus, pcTestdev, pciTestdev);
    }

    public VmConfig withPvpanic(boolean on) {
        return new VmConfig(memoryBytes, kernel, modules, cmdline, bios, debugcon, noReboot, serial, deterministicClock,
                engine, name, on, cpus, pcTestdev, pciTestdev);
    }

    /** The same VM with {@code n} vCPUs. */
    public VmConfig withCpus(int n) {
        return new VmConfig(memoryBytes, kernel, modules, cmdline, bios, debugcon, noReboot, serial, deterministicClock,
                engine, name, pvpanic, n, pcTestdev, pciTestdev);
    }

    /** The same VM with or without QEMU's pc-testdev. */
    public VmConfig withPcTestdev(boolean on) {
        return new VmConfig(memoryBytes, kernel, modules, cmdline, bios, debugcon, noReboot, serial, deterministicClock,
                engine, name, pvpanic, cpus, on, pciTestdev);
    }

    /** The same VM with or without QEMU's pci-testdev. */
    public VmConfig withPciTestdev(boolean on) {
        return new VmConfig(memoryBytes, kernel, modules, cmdline, bios, debugcon, noReboot, serial, deterministicClock,
                engine, name, pvpanic, cpus, pcTestdev, on);
    }

    public VmConfig(long memoryBytes, Path kernel, List<Path> modules, String cmdline, Path bios, Path debugcon,
                    boolean noReboot) {
        this(memoryBytes, kernel, modules, cmdline, bios, debugcon, noReboot, null, false);
    }

    public VmConfig(long memoryBytes, Path kernel, List<Path> modules, String cmdline, Path bios, Path debugcon,
                    boolean noReboot, Path serial) {
        this(memoryBytes, kernel, modules, cmdline, bios, debugcon, noReboot, serial, false);
    }
}
