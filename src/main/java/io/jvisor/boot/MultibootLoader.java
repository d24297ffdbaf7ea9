package io.jvisor.boot;

import io.jvisor.cpu.Cpu;
import io.jvisor.memory.PhysicalMemory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Boots a Multiboot (version 1, "0.6.96") kernel: finds the header, loads the ELF32 image
 * (or the a.out-kludge image when header flag 16 is set) at its physical addresses, places
 * the modules page-aligned after the kernel, builds the multiboot information structure with
 * a memory map, and puts the CPU in the state the specification describes.
 *
 * <p>Everything is validated before the first byte is written to guest memory: an image
 * that is rejected leaves memory and the CPU untouched.
 *
 * <p>Guest physical layout that the loader reports (and respects when placing data):
 * <pre>
 *   0x00000000 - 0x0009FBFF  available (conventional memory)
 *   0x0009FC00 - 0x0009FFFF  reserved  (EBDA)
 *   0x000A0000 - 0x000EFFFF  not listed (VGA window, option ROMs)
 *   0x000F0000 - 0x000FFFFF  reserved  (BIOS)
 *   0x00100000 - RAM size    available
 * </pre>
 * The kernel, modules and boot information may be placed only in the two available ranges.
 * The information structure, memory map, module list and strings form one block, put at
 * 0x9000 as QEMU does when that is free, otherwise at the lowest free 4 KiB-aligned address.
 */
public final class MultibootLoader {
    private MultibootLoader() { }

    /** A boot module: its contents, the name its string starts with, and optional arguments. */
    public record Module(String name, byte[] data, String cmdline) { }

    public static final int HEADER_MAGIC = 0x1BADB002;
    public static final int BOOTLOADER_MAGIC = 0x2BADB002;
    /** The header must lie entirely within the first 8 KiB of the image. */
    public static final int SEARCH_LIMIT = 8192;
    public static final String LOADER_NAME = "jvisor";
    /** GDT-style selectors reported in CS and the data segment registers (as QEMU's loader uses). */
    public static final int CODE_SELECTOR = 0x08, DATA_SELECTOR = 0x10;
    /** Flat 32-bit code (execute/read, accessed) and data (read/write, accessed) attributes, G=1 D/B=1. */
    public static final int CODE_ATTR = 0xC09B, DATA_ATTR = 0xC093;

    // header flags
    static final int HF_PAGE_ALIGN = 1, HF_MEMORY_INFO = 2, HF_VIDEO_MODE = 4, HF_AOUT_KLUDGE = 1 << 16;
    /** Required-feature bits (0-15) this loader honours; any other bit in 0-15 must make it refuse. */
    static final int HF_SUPPORTED_REQUIRED = HF_PAGE_ALIGN | HF_MEMORY_INFO | HF_VIDEO_MODE;

    // information structure flags and layout
    public static final int MBI_MEMORY = 1, MBI_CMDLINE = 1 << 2, MBI_MODS = 1 << 3, MBI_MMAP = 1 << 6,
            MBI_LOADER_NAME = 1 << 9;
    /** Size of the v1 information structure including the framebuffer fields (zeroed). */
    static final int MBI_SIZE = 120;
    static final int MMAP_ENTRY_SIZE = 24, MODULE_ENTRY_SIZE = 16;
    public static final int MMAP_AVAILABLE = 1, MMAP_RESERVED = 2;

    // physical layout
    static final long LOW_MEM_END = 0x9FC00, BIOS_START = 0xF0000, HIGH_MEM = 0x100000, PAGE = 4096;
    /** Preferred address of the information block (QEMU puts its information structure here). */
    static final long PREFERRED_INFO_ADDR = 0x9000;
    /** Lowest address used for boot data: page 0 (real-mode IVT and BDA) is left alone. */
    static final long FIRST_FREE = 0x1000;
    private static final long FOUR_GIB = 1L << 32;

    /** A byte range of guest physical memory, [start, end). */
    private record Range(long start, long end) {
        boolean overlaps(Range o) {
            return start < o.end && o.start < end;
        }
    }

    /** Image bytes [fileOff, fileOff + fileLen) go to pa; the rest of memLen is zeroed. */
    private record Chunk(long pa, int fileOff, int fileLen, long memLen) {
        Range range() {
            return new Range(pa, pa + memLen);
        }
    }

    /** What the kernel image occupies and where it starts. */
    private record Kernel(List<Chunk> chunks, long entry, long end) { }

    private record Header(int offset, int flags, long headerAddr, long loadAddr, long loadEndAddr,
                          long bssEndAddr, long entryAddr) { }

    /**
     * Loads {@code image} with its command line and modules into {@code mem} and leaves
     * {@code cpu} at the kernel entry point in the multiboot machine state: EAX = 0x2BADB002,
     * EBX = physical address of the information structure, flat 32-bit CS/DS/ES/FS/GS/SS,
     * CR0.PE = 1, CR0.PG = 0, EFLAGS = 0x2 (IF = 0, VM = 0), CPL 0. Other registers, GDTR
     * and IDTR are left as they were (the specification says the kernel must set its own).
     *
     * <p>A module's string is its name, followed by a space and its command line when that
     * is neither null nor empty (the "path arguments" convention of GRUB and QEMU).
     *
     * @param cmdline the kernel command line, or null for none (flag bit 2 then stays clear)
     * @param modules boot modules in order, or null for none
     * @throws BootException if the image or the configuration cannot be booted; nothing has
     *                       been written to memory or the CPU then
     */
    public static void load(PhysicalMemory mem, Cpu cpu, byte[] image, String cmdline, List<Module> modules)
            throws BootException {
        if (image == null || image.length == 0) {
            throw new BootException("kernel image is empty");
        }
        List<Module> mods = modules == null ? List.of() : modules;
        long ramSize = mem.ramSize();

        // ---- validation and placement (no writes)
        Header h = findHeader(image);
        Kernel k = (h.flags & HF_AOUT_KLUDGE) != 0 ? planAout(image, h) : planElf(image);
        List<Range> used = new ArrayList<>();
        for (Chunk c : k.chunks) {
            checkPlacement(mem, c.range(), "kernel segment at " + hex(c.pa));
            used.add(c.range());
        }

        long[] modStart = new long[mods.size()];
        long cursor = alignUp(k.end);
        for (int i = 0; i < mods.size(); i++) {
            Module m = mods.get(i);
            if (m == null || m.data() == null) {
                throw new BootException("module " + (i + 1) + " has no data");
            }
            long len = m.data().length;
            if (cursor < HIGH_MEM && cursor + len > LOW_MEM_END) {
                cursor = HIGH_MEM; // does not fit in conventional memory: continue above 1 MiB
            }
            Range r = new Range(cursor, cursor + len);
            if (r.end > ramSize) {
                throw new BootException(String.format(
                        "modules do not fit in RAM: module '%s' (%d bytes) would end at %s, RAM ends at %s",
                        m.name(), len, hex(r.end), hex(ramSize)));
            }
            checkPlacement(mem, r, "module '" + m.name() + "'");
            modStart[i] = cursor;
            used.add(r);
            cursor = alignUp(r.end);
        }

        // the information block: structure, memory map, module list, then the strings
        List<long[]> mmap = memoryMap(ramSize);
        byte[] cmdBytes = cmdline == null ? null : cString(cmdline, "kernel command line");
        byte[][] modStrings = new byte[mods.size()][];
        for (int i = 0; i < mods.size(); i++) {
            Module m = mods.get(i);
            String name = m.name() == null ? "" : m.name();
            String s = m.cmdline() == null || m.cmdline().isEmpty() ? name : name + " " + m.cmdline();
            modStrings[i] = cString(s, "command line of module '" + name + "'");
        }
        byte[] nameBytes = cString(LOADER_NAME, "boot loader name");
        int mmapOff = MBI_SIZE;
        int modsOff = mmapOff + mmap.size() * MMAP_ENTRY_SIZE;
        int stringsOff = modsOff + mods.size() * MODULE_ENTRY_SIZE;
        int size = stringsOff + nameBytes.length + (cmdBytes == null ? 0 : cmdBytes.length);
        for (byte[] s : modStrings) {
            size += s.length;
        }
        long info = placeInfo(mem, used, size);

        // ---- build the information block
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        int flags = MBI_MEMORY | MBI_MODS | MBI_MMAP | MBI_LOADER_NAME;
        long lowTop = Math.min(ramSize, LOW_MEM_END);
        b.putInt(4, (int) (lowTop / 1024));
        b.putInt(8, (int) (Math.max(0, ramSize - HIGH_MEM) / 1024));
        int strPos = stringsOff;
        b.put(strPos, nameBytes);
        b.putInt(64, (int) (info + strPos));
        strPos += nameBytes.length;
        if (cmdBytes != null) {
            flags |= MBI_CMDLINE;
            b.put(strPos, cmdBytes);
            b.putInt(16, (int) (info + strPos));
            strPos += cmdBytes.length;
        }
        b.putInt(20, mods.size());
        b.putInt(24, (int) (info + modsOff));
        for (int i = 0; i < mods.size(); i++) {
            int e = modsOff + i * MODULE_ENTRY_SIZE;
            b.putInt(e, (int) modStart[i]);
            b.putInt(e + 4, (int) (modStart[i] + mods.get(i).data().length));
            b.put(strPos, modStrings[i]);
            b.putInt(e + 8, (int) (info + strPos));
            strPos += modStrings[i].length;
        }
        b.putInt(44, mmap.size() * MMAP_ENTRY_SIZE);
        b.putInt(48, (int) (info + mmapOff));
        for (int i = 0; i < mmap.size(); i++) {
            int e = mmapOff + i * MMAP_ENTRY_SIZE;
            long[] ent = mmap.get(i);
            b.putInt(e, MMAP_ENTRY_SIZE - 4); // "size" excludes the size field itself
            b.putLong(e + 4, ent[0]);
            b.putLong(e + 12, ent[1] - ent[0]);
            b.putInt(e + 20, (int) ent[2]);
        }
        b.putInt(0, flags);

        // ---- commit: memory, then the CPU
        byte[] zeros = new byte[64 * 1024];
        for (Chunk c : k.chunks) {
            mem.load(c.pa, image, c.fileOff, c.fileLen);
            for (long pos = c.pa + c.fileLen; pos < c.pa + c.memLen; pos += zeros.length) {
                mem.load(pos, zeros, 0, (int) Math.min(zeros.length, c.pa + c.memLen - pos));
            }
        }
        for (int i = 0; i < mods.size(); i++) {
            byte[] d = mods.get(i).data();
            mem.load(modStart[i], d, 0, d.length);
        }
        mem.load(info, b.array(), 0, size);
        enterKernel(cpu, (int) k.entry, (int) info);
    }

    /** Puts the CPU in the state of Multiboot specification section 3.2. */
    static void enterKernel(Cpu cpu, int entry, int infoAddr) {
        cpu.writeCr(0, (cpu.cr0 | Cpu.CR0_PE) & ~Cpu.CR0_PG);
        cpu.setEflags(0x2);
        cpu.setSegmentCache(Cpu.CS, CODE_SELECTOR, 0, 0xFFFFFFFF, CODE_ATTR);
        for (int s : new int[] {Cpu.SS, Cpu.DS, Cpu.ES, Cpu.FS, Cpu.GS}) {
            cpu.setSegmentCache(s, DATA_SELECTOR, 0, 0xFFFFFFFF, DATA_ATTR);
        }
        cpu.setCpl(0);
        cpu.r[Cpu.EAX] = BOOTLOADER_MAGIC;
        cpu.r[Cpu.EBX] = infoAddr;
        cpu.eip = entry;
        cpu.halted = false;
        cpu.interruptShadow = false;
    }

    // =====================================================================================
    // Header

    private static Header findHeader(byte[] image) throws BootException {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int limit = Math.min(image.length, SEARCH_LIMIT);
        boolean sawMagic = false;
        for (int off = 0; off + 12 <= limit; off += 4) {
            if (b.getInt(off) != HEADER_MAGIC) {
                continue;
            }
            int flags = b.getInt(off + 4);
            if (HEADER_MAGIC + flags + b.getInt(off + 8) != 0) {
                sawMagic = true; // maybe a stray constant: keep looking
                continue;
            }
            int unsupported = flags & 0xFFFF & ~HF_SUPPORTED_REQUIRED;
            if (unsupported != 0) {
                throw new BootException(String.format(
                        "multiboot header requires features this loader does not support (flag bits %s)",
                        hex(unsupported)));
            }
            if ((flags & HF_AOUT_KLUDGE) == 0) {
                return new Header(off, flags, 0, 0, 0, 0, 0);
            }
            if (off + 32 > limit) {
                throw new BootException("multiboot header with address fields (flag 16) is cut off by the end of the "
                        + (limit < SEARCH_LIMIT ? "image" : "first 8 KiB"));
            }
            return new Header(off, flags, u32(b, off + 12), u32(b, off + 16), u32(b, off + 20),
                    u32(b, off + 24), u32(b, off + 28));
        }
        throw new BootException(sawMagic ? "multiboot header checksum is wrong"
                : "neither a Linux bzImage (no setup header) nor a multiboot kernel (no multiboot header, magic "
                        + "0x1BADB002, in its first 8 KiB)");
    }

    // =====================================================================================
    // a.out kludge (header flag 16): the header's address fields describe the image

    private static Kernel planAout(byte[] image, Header h) throws BootException {
        if (h.loadAddr > h.headerAddr) {
            throw new BootException(String.format("multiboot header: load_addr %s is above header_addr %s",
                    hex(h.loadAddr), hex(h.headerAddr)));
        }
        long fileOff = h.offset - (h.headerAddr - h.loadAddr);
        if (fileOff < 0) {
            throw new BootException(String.format(
                    "multiboot header: load_addr %s would start %d bytes before the beginning of the image",
                    hex(h.loadAddr), -fileOff));
        }
        long available = image.length - fileOff;
        long loadEnd;
        if (h.loadEndAddr == 0) {
            loadEnd = h.loadAddr + available;
        } else {
            if (h.loadEndAddr < h.loadAddr) {
                throw new BootException(String.format("multiboot header: load_end_addr %s is below load_addr %s",
                        hex(h.loadEndAddr), hex(h.loadAddr)));
            }
            loadEnd = h.loadEndAddr;
            if (loadEnd - h.loadAddr > available) {
                throw new BootException(String.format(
                        "kernel image is truncated: load_end_addr needs %d bytes from file offset %d, the file has %d",
                        loadEnd - h.loadAddr, fileOff, available));
            }
        }
        long memEnd = loadEnd;
        if (h.bssEndAddr != 0) {
            if (h.bssEndAddr < loadEnd) {
                throw new BootException(String.format("multiboot header: bss_end_addr %s is below the end of the "
                        + "loaded image %s", hex(h.bssEndAddr), hex(loadEnd)));
            }
            memEnd = h.bssEndAddr;
        }
        if (memEnd > FOUR_GIB) {
            throw new BootException("multiboot header: the image would extend past 4 GiB");
        }
        if (memEnd == h.loadAddr) {
            throw new BootException("multiboot header describes an empty image");
        }
        if (h.entryAddr < h.loadAddr || h.entryAddr >= loadEnd) {
            throw new BootException(String.format("multiboot header: entry_addr %s is outside the loaded image %s-%s",
                    hex(h.entryAddr), hex(h.loadAddr), hex(loadEnd)));
        }
        Chunk c = new Chunk(h.loadAddr, (int) fileOff, (int) (loadEnd - h.loadAddr), memEnd - h.loadAddr);
        return new Kernel(List.of(c), h.entryAddr, memEnd);
    }

    // =====================================================================================
    // ELF32

    static final int PT_LOAD = 1, ET_EXEC = 2, EM_386 = 3, PF_X = 1;

    private static Kernel planElf(byte[] image) throws BootException {
        if (image.length < 4 || image[0] != 0x7F || image[1] != 'E' || image[2] != 'L' || image[3] != 'F') {
            throw new BootException("kernel is not an ELF file and its multiboot header has no load addresses "
                    + "(flag 16, a.out kludge)");
        }
        if (image.length < 52) {
            throw new BootException("ELF image is truncated: the ELF header needs 52 bytes, the file has "
                    + image.length);
        }
        if (image[4] != 1) {
            throw new BootException("ELF image is not 32-bit (EI_CLASS " + image[4]
                    + "); a multiboot kernel must be ELF32 for i386");
        }
        if (image[5] != 1) {
            throw new BootException("ELF image is not little-endian (EI_DATA " + image[5] + ")");
        }
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int type = b.getShort(16) & 0xFFFF;
        int machine = b.getShort(18) & 0xFFFF;
        if (machine != EM_386) {
            throw new BootException("ELF image is not for i386 (e_machine " + machine + ")");
        }
        if (type != ET_EXEC) {
            throw new BootException("ELF image is not an executable (e_type " + type + ", want ET_EXEC 2)");
        }
        long entry = u32(b, 24);
        long phoff = u32(b, 28);
        int phentsize = b.getShort(42) & 0xFFFF;
        int phnum = b.getShort(44) & 0xFFFF;
        if (phnum == 0) {
            throw new BootException("ELF image has no program headers");
        }
        if (phentsize < 32) {
            throw new BootException("ELF program header size " + phentsize + " is too small (want 32)");
        }
        if (phoff + (long) phnum * phentsize > image.length) {
            throw new BootException(String.format(
                    "ELF image is truncated: %d program headers at offset %d do not fit in %d bytes",
                    phnum, phoff, image.length));
        }
        List<Chunk> chunks = new ArrayList<>();
        long end = 0;
        long physEntry = -1;
        long entryInPhys = -1;
        for (int i = 0; i < phnum; i++) {
            int p = (int) (phoff + (long) i * phentsize);
            if (b.getInt(p) != PT_LOAD) {
                continue;
            }
            long off = u32(b, p + 4);
            long vaddr = u32(b, p + 8);
            long paddr = u32(b, p + 12);
            long filesz = u32(b, p + 16);
            long memsz = u32(b, p + 20);
            int pflags = b.getInt(p + 24);
            if (memsz == 0) {
                continue;
            }
            if (filesz > memsz) {
                throw new BootException(String.format("ELF segment %d: file size %d exceeds memory size %d",
                        i, filesz, memsz));
            }
            if (filesz > 0 && off + filesz > image.length) {
                throw new BootException(String.format(
                        "ELF image is truncated: segment %d needs bytes %d-%d, the file has %d",
                        i, off, off + filesz, image.length));
            }
            if (paddr + memsz > FOUR_GIB) {
                throw new BootException(String.format("ELF segment %d at %s extends past 4 GiB", i, hex(paddr)));
            }
            Chunk c = new Chunk(paddr, filesz == 0 ? 0 : (int) off, (int) filesz, memsz);
            for (Chunk o : chunks) {
                if (o.range().overlaps(c.range())) {
                    throw new BootException(String.format("ELF segments overlap in physical memory at %s and %s",
                            hex(o.pa), hex(c.pa)));
                }
            }
            chunks.add(c);
            end = Math.max(end, paddr + memsz);
            // e_entry is a virtual address: translate it as QEMU does through the segment that holds it
            if (physEntry < 0 && (pflags & PF_X) != 0 && entry >= vaddr && entry < vaddr + filesz) {
                physEntry = entry - vaddr + paddr;
            }
            if (entry >= paddr && entry < paddr + memsz) {
                entryInPhys = entry;
            }
        }
        if (chunks.isEmpty()) {
            throw new BootException("ELF image has no loadable segments");
        }
        long finalEntry = physEntry >= 0 ? physEntry : entryInPhys;
        if (finalEntry < 0) {
            throw new BootException("ELF entry point " + hex(entry) + " is not inside any loadable segment");
        }
        return new Kernel(chunks, finalEntry, end);
    }

    // =====================================================================================
    // Placement

    /** Checks that a range is RAM that the memory map reports as available. */
    private static void checkPlacement(PhysicalMemory mem, Range r, String what) throws BootException {
        if (r.end > mem.ramSize()) {
            throw new BootException(String.format("%s (%s-%s) lies outside RAM, which ends at %s",
                    what, hex(r.start), hex(r.end - 1), hex(mem.ramSize())));
        }
        if (r.overlaps(new Range(LOW_MEM_END, HIGH_MEM))) {
            throw new BootException(String.format(
                    "%s (%s-%s) overlaps the reserved area 0x9fc00-0xfffff (EBDA, VGA and BIOS)",
                    what, hex(r.start), hex(r.end - 1)));
        }
        for (long page = r.start & ~(PAGE - 1); page < r.end; page += PAGE) {
            if (!mem.isRamPage(page)) {
                throw new BootException(String.format("%s (%s-%s) overlaps device memory at %s",
                        what, hex(r.start), hex(r.end - 1), hex(page)));
            }
        }
    }

    /** Finds room for the information block: 0x9000 if free, else the lowest free page-aligned spot. */
    private static long placeInfo(PhysicalMemory mem, List<Range> used, int size) throws BootException {
        TreeSet<Long> candidates = new TreeSet<>();
        candidates.add(FIRST_FREE);
        candidates.add(HIGH_MEM);
        for (Range r : used) {
            candidates.add(alignUp(r.end));
        }
        List<Long> order = new ArrayList<>();
        order.add(PREFERRED_INFO_ADDR);
        order.addAll(candidates);
        for (long at : order) {
            Range r = new Range(at, at + size);
            boolean lowOk = r.start >= FIRST_FREE && r.end <= Math.min(LOW_MEM_END, mem.ramSize());
            boolean highOk = r.start >= HIGH_MEM && r.end <= mem.ramSize();
            if (!lowOk && !highOk) {
                continue;
            }
            if (used.stream().anyMatch(r::overlaps)) {
                continue;
            }
            boolean allRam = true;
            for (long page = r.start & ~(PAGE - 1); page < r.end; page += PAGE) {
                allRam &= mem.isRamPage(page);
            }
            if (allRam) {
                return at;
            }
        }
        throw new BootException("no free memory for the multiboot information (" + size
                + " bytes) next to the kernel and modules");
    }

    /** The memory map as [start, end, type] triples. */
    static List<long[]> memoryMap(long ramSize) {
        List<long[]> m = new ArrayList<>();
        m.add(new long[] {0, Math.min(ramSize, LOW_MEM_END), MMAP_AVAILABLE});
        m.add(new long[] {LOW_MEM_END, 0xA0000, MMAP_RESERVED});
        m.add(new long[] {BIOS_START, HIGH_MEM, MMAP_RESERVED});
        if (ramSize > HIGH_MEM) {
            m.add(new long[] {HIGH_MEM, ramSize, MMAP_AVAILABLE});
        }
        return m;
    }

    // =====================================================================================
    // Helpers

    private static byte[] cString(String s, String what) throws BootException {
        if (s.indexOf('\0') >= 0) {
            throw new BootException(what + " contains a NUL character");
        }
        byte[] raw = s.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[raw.length + 1];
        System.arraycopy(raw, 0, out, 0, raw.length);
        return out;
    }

    private static long u32(ByteBuffer b, int off) {
        return Integer.toUnsignedLong(b.getInt(off));
    }

    private static long alignUp(long v) {
        return (v + PAGE - 1) & ~(PAGE - 1);
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
