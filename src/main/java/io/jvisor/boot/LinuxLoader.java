package io.jvisor.boot;

import io.jvisor.cpu.Cpu;
import io.jvisor.memory.PhysicalMemory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Direct boot of a Linux bzImage through the 32-bit boot protocol (Documentation/x86/boot.rst,
 * protocol 2.06 or later): validates the setup header, loads the protected-mode kernel at
 * 1 MiB, places the initrd as high as {@code initrd_addr_max} and RAM allow, fills the zero
 * page ({@code struct boot_params}: the copied setup header, the e820 map, the command line
 * pointer, the initrd), and enters {@code code32_start} in flat 32-bit protected mode with
 * ESI pointing at the zero page, as a boot loader does.
 *
 * <p>Everything is checked before memory is written: a rejected image changes nothing.
 */
public final class LinuxLoader {
    private LinuxLoader() { }

    /** Where the loader puts its own data (all below 640 KiB, outside the kernel's way). */
    static final int ZERO_PAGE = 0x7000, CMDLINE = 0x20000, GDT = 0x6000;
    static final int KERNEL_ADDR = 0x100000;
    /** __BOOT_CS and __BOOT_DS of the boot protocol. */
    static final int BOOT_CS = 0x10, BOOT_DS = 0x18;

    // setup header offsets (in the bzImage file and in the zero page)
    static final int SETUP_SECTS = 0x1f1, SYSSIZE = 0x1f4, KERNEL_VERSION = 0x20e, BOOT_FLAG = 0x1fe, JUMP = 0x200, HEADER = 0x202, VERSION = 0x206,
            TYPE_OF_LOADER = 0x210, LOADFLAGS = 0x211, CODE32_START = 0x214, RAMDISK_IMAGE = 0x218,
            RAMDISK_SIZE = 0x21c, HEAP_END_PTR = 0x224, CMD_LINE_PTR = 0x228, INITRD_ADDR_MAX = 0x22c,
            CMDLINE_SIZE = 0x238, INIT_SIZE = 0x260;
    // zero-page fields outside the setup header
    static final int ALT_MEM_K = 0x1e0, E820_ENTRIES = 0x1e8, E820_TABLE = 0x2d0;

    /** True if the image carries a Linux setup header ("HdrS" and the 0xAA55 boot flag). */
    public static boolean isBzImage(byte[] image) {
        return image.length > 0x264 && u16(image, BOOT_FLAG) == 0xaa55
                && u32(image, HEADER) == 0x53726448;   // "HdrS"
    }

    public static void load(PhysicalMemory mem, Cpu cpu, byte[] image, byte[] initrd, String cmdline)
            throws BootException {
        if (!isBzImage(image)) {
            throw new BootException("not a Linux bzImage (no setup header with the 0xAA55 boot flag and \"HdrS\")");
        }
        int version = u16(image, VERSION);
        if (version < 0x0206) {
            throw new BootException(String.format("Linux boot protocol %d.%02d is too old (2.06 or later is needed)",
                    version >> 8, version & 0xff));
        }
        int loadflags = image[LOADFLAGS] & 0xff;
        if ((loadflags & 1) == 0) {
            throw new BootException("zImage kernels (loaded below 1 MiB) are not supported; use a bzImage");
        }
        int setupSects = image[SETUP_SECTS] & 0xff;
        if (setupSects == 0) {
            setupSects = 4;
        }
        int kernelOffset = (setupSects + 1) * 512;
        if (kernelOffset >= image.length) {
            throw new BootException("truncated bzImage: the setup code is " + kernelOffset
                    + " bytes but the file has only " + image.length);
        }
        int kernelSize = image.length - kernelOffset;
        // syssize (protocol 2.04+): the protected-mode kernel's size in 16-byte paragraphs
        long sysBytes = (u32(image, SYSSIZE) & 0xffffffffL) * 16;
        if (sysBytes > kernelSize) {
            throw new BootException(String.format("truncated bzImage: its header says the protected-mode kernel is "
                    + "%,d bytes, but the file holds only %,d after the setup code", sysBytes, kernelSize));
        }
        long ram = mem.ramSize();
        long initSize = version >= 0x020a ? u32(image, INIT_SIZE) & 0xffffffffL : 0;
        long kernelEnd = KERNEL_ADDR + Math.max(kernelSize, initSize);
        if (kernelEnd > ram) {
            throw new BootException(String.format("the kernel needs %d MiB of memory from 1 MiB up; the VM has %d MiB",
                    (kernelEnd + 0xfffff) >> 20, ram >> 20));
        }
        long cmdlineMax = version >= 0x0206 ? u32(image, CMDLINE_SIZE) & 0xffffffffL : 255;
        byte[] cmd = (cmdline == null ? "" : cmdline).getBytes(StandardCharsets.US_ASCII);
        if (cmd.length > cmdlineMax) {
            throw new BootException("kernel command line is " + cmd.length + " bytes; this kernel accepts at most "
                    + cmdlineMax);
        }
        if (initrd != null) {
            checkInitrd(initrd);
        }
        long initrdAddr = 0;
        if (initrd != null && initrd.length > 0) {
            long max = u32(image, INITRD_ADDR_MAX) & 0xffffffffL;
            long top = Math.min(max + 1, ram);
            initrdAddr = (top - initrd.length) & ~0xfffL;
            if (initrdAddr < ((kernelEnd + 0xfff) & ~0xfffL)) {
                throw new BootException(String.format("the initrd (%d KiB) does not fit between the kernel and the "
                        + "highest address it may use (%d MiB); give the VM more memory", initrd.length >> 10,
                        top >> 20));
            }
        }

        // ---- everything checked: load
        int headerEnd = 0x202 + (image[0x201] & 0xff);
        byte[] zero = new byte[4096];
        System.arraycopy(image, SETUP_SECTS, zero, SETUP_SECTS, headerEnd - SETUP_SECTS);
        ByteBuffer zp = ByteBuffer.wrap(zero).order(ByteOrder.LITTLE_ENDIAN);
        zp.put(TYPE_OF_LOADER, (byte) 0xff);                       // undefined boot loader
        zp.put(LOADFLAGS, (byte) (loadflags | 0x80));              // CAN_USE_HEAP
        zp.putShort(HEAP_END_PTR, (short) (0xe000 - 0x200));
        zp.putInt(CMD_LINE_PTR, CMDLINE);
        zp.putInt(RAMDISK_IMAGE, (int) initrdAddr);
        zp.putInt(RAMDISK_SIZE, initrd == null ? 0 : initrd.length);
        zp.putInt(ALT_MEM_K, (int) Math.min((ram - 0x100000) >> 10, 0xffffffffL));
        List<E820Map.Entry> e820 = E820Map.forRam(ram);
        zp.put(E820_ENTRIES, (byte) e820.size());
        for (int k = 0; k < e820.size(); k++) {
            E820Map.Entry en = e820.get(k);
            zp.putLong(E820_TABLE + 20 * k, en.base());
            zp.putLong(E820_TABLE + 20 * k + 8, en.length());
            zp.putInt(E820_TABLE + 20 * k + 16, en.type());
        }
        mem.load(ZERO_PAGE, zero, 0, zero.length);
        byte[] cmdz = new byte[cmd.length + 1];
        System.arraycopy(cmd, 0, cmdz, 0, cmd.length);
        mem.load(CMDLINE, cmdz, 0, cmdz.length);
        mem.load(KERNEL_ADDR, image, kernelOffset, kernelSize);
        if (initrdAddr != 0) {
            mem.load(initrdAddr, initrd, 0, initrd.length);
        }
        // a GDT with __BOOT_CS (0x10) and __BOOT_DS (0x18), flat 4 GiB
        mem.write64(GDT, 0);
        mem.write64(GDT + 8, 0);
        mem.write64(GDT + 0x10, 0x00cf9b000000ffffL);
        mem.write64(GDT + 0x18, 0x00cf93000000ffffL);

        cpu.reset();
        cpu.gdtBase = GDT;
        cpu.gdtLimit = 0x1f;
        cpu.idtBase = 0;
        cpu.idtLimit = 0;
        cpu.writeCr(0, cpu.cr0 | Cpu.CR0_PE);
        cpu.setCpl(0);
        cpu.setSegmentCache(Cpu.CS, BOOT_CS, 0, -1, 0xc09b);
        for (int s : new int[] {Cpu.DS, Cpu.ES, Cpu.SS, Cpu.FS, Cpu.GS}) {
            cpu.setSegmentCache(s, BOOT_DS, 0, -1, 0xc093);
        }
        cpu.setEflags(0x2);
        java.util.Arrays.fill(cpu.r, 0);
        cpu.r[Cpu.ESI] = ZERO_PAGE;
        cpu.eip = u32(image, CODE32_START);
    }

    /**
     * Refuses an initrd the kernel could not use: an empty file, or text (a script or a
     * listing given by mistake). An initramfs is a cpio archive, usually compressed; an old
     * style initrd is a filesystem image; both start with binary magic numbers, so the first
     * bytes being printable text with line breaks and no NUL means something else was given.
     */
    static void checkInitrd(byte[] initrd) throws BootException {
        if (initrd.length == 0) {
            throw new BootException("the initrd is empty");
        }
        if (initrd.length >= 6 && new String(initrd, 0, 6, StandardCharsets.ISO_8859_1).startsWith("07070")) {
            return;   // an uncompressed newc/odc cpio archive: ASCII headers, but an initramfs
        }
        int n = Math.min(initrd.length, 512);
        boolean text = true, sawBreak = false;
        for (int i = 0; i < n && text; i++) {
            int b = initrd[i] & 0xff;
            sawBreak |= b == '\n';
            text = b >= 0x20 && b < 0x7f || b == '\n' || b == '\r' || b == '\t';
        }
        if (text && (sawBreak || initrd.length < 512)) {
            throw new BootException("the initrd is text, not an initramfs archive (cpio, usually gzip- or "
                    + "xz-compressed) or a filesystem image");
        }
    }

    /**
     * The kernel's version string from the setup header (kernel_version, protocol 2.00+: an
     * offset from 0x200 into the setup code), e.g. "6.1.0-28-686 (debian-kernel@...) #1 SMP ...",
     * or null if the image has none.
     */
    public static String kernelVersion(byte[] image) {
        if (!isBzImage(image)) {
            return null;
        }
        int ptr = u16(image, KERNEL_VERSION);
        int at = 0x200 + ptr;
        int setupEnd = ((image[SETUP_SECTS] & 0xff) + 1) * 512;
        if (ptr == 0 || at >= Math.min(image.length, setupEnd)) {
            return null;
        }
        int end = at;
        while (end < image.length && end < at + 256 && image[end] != 0) {
            end++;
        }
        String v = new String(image, at, end - at, StandardCharsets.ISO_8859_1).strip();
        return v.isEmpty() || !v.chars().allMatch(c -> c >= 0x20 && c < 0x7f) ? null : v;
    }

    private static int u16(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
    }

    private static int u32(byte[] b, int off) {
        return u16(b, off) | u16(b, off + 2) << 16;
    }
}
