package io.jvisor.vm;

import java.nio.file.Path;
import java.util.List;

/**
 * What a VM is made of. Paths are read when the VM is built; all validation happens
 * before anything runs.
 *
 * @param memoryBytes guest RAM
 * @param kernel      multiboot kernel, or null
 * @param modules     multiboot modules (initrd), in order
 * @param cmdline     kernel command line
 * @param bios        ROM image for a BIOS boot, or null
 * @param debugcon    where port 0xe9 output goes: a file, or null for standard output
 * @param noReboot    a reset (triple fault) ends the VM instead of restarting it
 */
public record VmConfig(long memoryBytes, Path kernel, List<Path> modules, String cmdline, Path bios, Path debugcon,
                       boolean noReboot) {
    public static final long DEFAULT_MEMORY = 128L << 20;
}
