package io.jvisor.boot;

import io.jvisor.cpu.Cpu;
import io.jvisor.memory.IoBus;
import io.jvisor.memory.PhysicalMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MultibootLoaderTest {
    static final int MB = 1 << 20;
    static final int MAGIC = 0x1BADB002;

    PhysicalMemory mem;
    Cpu cpu;

    @BeforeEach
    void setUp() {
        mem = new PhysicalMemory(64L * MB);
        cpu = new Cpu(mem, new IoBus());
    }

    @AfterEach
    void tearDown() {
        mem.close();
    }

    // =====================================================================================
    // Image builders

    /** Little-endian byte buffer that grows. */
    static final class Bytes {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Bytes u8(int v) {
            out.write(v);
            return this;
        }

        Bytes u16(int v) {
            return u8(v).u8(v >>> 8);
        }

        Bytes u32(int v) {
            return u16(v).u16(v >>> 16);
        }

        Bytes raw(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        Bytes padTo(int size) {
            while (out.size() < size) {
                out.write(0);
            }
            return this;
        }

        int size() {
            return out.size();
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** A multiboot header without address fields. */
    static byte[] header(int flags) {
        return new Bytes().u32(MAGIC).u32(flags).u32(-(MAGIC + flags)).bytes();
    }

    record Seg(int type, int vaddr, int paddr, byte[] data, int memsz, int flags) {
        static Seg load(int addr, byte[] data, int memsz) {
            return new Seg(1, addr, addr, data, memsz, 5);
        }
    }

    /** ELF32 header fields that tests tamper with. */
    static final class ElfSpec {
        int elfClass = 1, data = 1, type = 2, machine = 3, phentsize = 32;
        int entry;
        List<Seg> segs = new ArrayList<>();
    }

    /** Builds an ELF32 executable: header, program headers, then each segment's data at a 4 KiB-aligned offset. */
    static byte[] elf(ElfSpec s) {
        int phoff = 52;
        int dataStart = 0x1000;
        Bytes b = new Bytes();
        b.u8(0x7F).u8('E').u8('L').u8('F').u8(s.elfClass).u8(s.data).u8(1).padTo(16);
        b.u16(s.type).u16(s.machine).u32(1).u32(s.entry).u32(phoff).u32(0).u32(0);
        b.u16(52).u16(s.phentsize).u16(s.segs.size()).u16(40).u16(0).u16(0);
        int off = dataStart;
        int[] offs = new int[s.segs.size()];
        for (int i = 0; i < s.segs.size(); i++) {
            Seg g = s.segs.get(i);
            offs[i] = off;
            b.u32(g.type).u32(off).u32(g.vaddr).u32(g.paddr).u32(g.data.length).u32(g.memsz).u32(g.flags).u32(0x1000);
            b.padTo(phoff + (i + 1) * s.phentsize);
            off += (g.data.length + 0xFFF) & ~0xFFF;
        }
        for (int i = 0; i < s.segs.size(); i++) {
            b.padTo(offs[i]);
            b.raw(s.segs.get(i).data);
        }
        return b.bytes();
    }

    /** Text for the kernel: a multiboot header followed by recognisable code bytes. */
    static byte[] text(int flags, int len) {
        Bytes b = new Bytes().raw(header(flags));
        for (int i = b.size(); i < len; i++) {
            b.u8(0x90 + (i % 7));
        }
        return b.bytes();
    }

    /** A simple ELF kernel at 1 MiB: 0x300 bytes of text, 0x2000 bytes in memory (the rest is BSS). */
    static byte[] simpleElf() {
        ElfSpec s = new ElfSpec();
        s.entry = 0x100010;
        s.segs.add(Seg.load(0x100000, text(3, 0x300), 0x2000));
        return elf(s);
    }

    static byte[] elfWith(Consumer<ElfSpec> change) {
        ElfSpec s = new ElfSpec();
        s.entry = 0x100010;
        s.segs.add(Seg.load(0x100000, text(3, 0x300), 0x2000));
        change.accept(s);
        return elf(s);
    }

    /** A flat binary with an a.out-kludge header at offset {@code hdrOff}, meant for {@code loadAddr}. */
    static byte[] aout(int hdrOff, int loadAddr, int loadEnd, int bssEnd, int entry, int fileLen) {
        int flags = 0x10003;
        Bytes b = new Bytes();
        for (int i = 0; i < hdrOff; i++) {
            b.u8(0xE0 + (i & 0xF));
        }
        b.u32(MAGIC).u32(flags).u32(-(MAGIC + flags))
                .u32(loadAddr + hdrOff).u32(loadAddr).u32(loadEnd).u32(bssEnd).u32(entry);
        for (int i = b.size(); i < fileLen; i++) {
            b.u8(i & 0xFF);
        }
        return b.bytes();
    }

    // =====================================================================================
    // Reading back

    byte[] read(long pa, int len) {
        byte[] out = new byte[len];
        for (int i = 0; i < len; i++) {
            out[i] = (byte) mem.read8(pa + i);
        }
        return out;
    }

    String cstr(long pa) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c; (c = mem.read8(pa++)) != 0; ) {
            b.write(c);
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    int info(int off) {
        return mem.read32((cpu.r[Cpu.EBX] & 0xFFFFFFFFL) + off);
    }

    void fill(long pa, int len, int v) {
        for (int i = 0; i < len; i++) {
            mem.write8(pa + i, v);
        }
    }

    static byte[] slice(byte[] a, int off, int len) {
        byte[] r = new byte[len];
        System.arraycopy(a, off, r, 0, len);
        return r;
    }

    // =====================================================================================
    // ELF loading and CPU state

    @Test
    void loadsElfSegmentsZeroesBssAndEntersProtectedMode() throws Exception {
        fill(0x100000, 0x3000, 0xCC);
        byte[] img = simpleElf();
        MultibootLoader.load(mem, cpu, img, "console=e9", List.of());

        assertArrayEquals(slice(img, 0x1000, 0x300), read(0x100000, 0x300));
        for (int i = 0x300; i < 0x2000; i++) {
            assertEquals(0, mem.read8(0x100000 + i), "bss byte " + i);
        }
        assertEquals(0xCC, mem.read8(0x102000), "byte after memsz untouched");

        assertEquals(0x2BADB002, cpu.r[Cpu.EAX]);
        assertEquals(0x100010, cpu.eip);
        assertTrue((cpu.cr0 & Cpu.CR0_PE) != 0);
        assertEquals(0, cpu.cr0 & Cpu.CR0_PG);
        assertEquals(0x2, cpu.getEflags());
        assertEquals(0, cpu.cpl);
        assertEquals(0x08, cpu.segSel[Cpu.CS]);
        assertEquals(0, cpu.segBase[Cpu.CS]);
        assertEquals(0xFFFFFFFF, cpu.segLimit[Cpu.CS]);
        assertEquals(0xC09B, cpu.segAttr[Cpu.CS]);
        assertTrue(cpu.code32);
        for (int s : new int[] {Cpu.DS, Cpu.ES, Cpu.FS, Cpu.GS, Cpu.SS}) {
            assertEquals(0x10, cpu.segSel[s]);
            assertEquals(0, cpu.segBase[s]);
            assertEquals(0xFFFFFFFF, cpu.segLimit[s]);
            assertEquals(0xC093, cpu.segAttr[s]);
        }
        assertTrue(cpu.stack32);
    }

    @Test
    void clearsPagingAndInterruptFlagsLeftFromBefore() throws Exception {
        cpu.setEflags(0x200 | 0x4000 | 0x3000 | 0x1); // IF, NT, IOPL 3, CF
        MultibootLoader.load(mem, cpu, simpleElf(), null, null);
        assertEquals(0x2, cpu.getEflags());
        assertEquals(0, cpu.cr0 & Cpu.CR0_PG);
    }

    @Test
    void informationStructureHasMemoryCmdlineModsMmapAndLoaderName() throws Exception {
        MultibootLoader.load(mem, cpu, simpleElf(), "root=/dev/ram0 quiet", List.of());
        int flags = info(0);
        assertEquals(1 | 4 | 8 | 64 | 512, flags);
        assertEquals(639, info(4));
        assertEquals(63 * 1024, info(8));
        assertEquals("root=/dev/ram0 quiet", cstr(info(16)));
        assertEquals(0, info(20));
        assertEquals("jvisor", cstr(info(64)));

        int len = info(44);
        long addr = info(48) & 0xFFFFFFFFL;
        assertEquals(4 * 24, len);
        long[][] want = {
            {0, 0x9FC00, 1}, {0x9FC00, 0x400, 2}, {0xF0000, 0x10000, 2}, {0x100000, 63L * MB, 1}};
        long p = addr;
        for (long[] w : want) {
            assertEquals(20, mem.read32(p));
            assertEquals(w[0], mem.read64(p + 4));
            assertEquals(w[1], mem.read64(p + 12));
            assertEquals(w[2], mem.read32(p + 20));
            p += mem.read32(p) + 4;
        }
        assertEquals(addr + len, p);

        // the block sits in free memory, clear of the kernel and of the reserved areas
        long mbi = cpu.r[Cpu.EBX] & 0xFFFFFFFFL;
        assertEquals(0x9000, mbi);
    }

    @Test
    void noCmdlineLeavesFlagClear() throws Exception {
        MultibootLoader.load(mem, cpu, simpleElf(), null, List.of());
        assertEquals(0, info(0) & 4);
        assertTrue((info(0) & 1) != 0);
    }

    @Test
    void modulesArePageAlignedAfterTheKernel() throws Exception {
        byte[] m1 = new byte[5000];
        byte[] m2 = new byte[3];
        for (int i = 0; i < m1.length; i++) {
            m1[i] = (byte) (i * 7);
        }
        m2[0] = 1;
        m2[1] = 2;
        m2[2] = 3;
        MultibootLoader.load(mem, cpu, simpleElf(), "k", List.of(
                new MultibootLoader.Module("initrd.img", m1, "size=5000"),
                new MultibootLoader.Module("second", m2, null)));
        assertTrue((info(0) & 8) != 0);
        assertEquals(2, info(20));
        long list = info(24) & 0xFFFFFFFFL;
        int s1 = mem.read32(list), e1 = mem.read32(list + 4);
        int s2 = mem.read32(list + 16), e2 = mem.read32(list + 20);
        assertEquals(0x102000, s1, "first module right after the kernel's BSS");
        assertEquals(s1 + 5000, e1);
        assertEquals(0, s2 & 0xFFF);
        assertEquals(0x104000, s2);
        assertEquals(s2 + 3, e2);
        assertEquals("initrd.img size=5000", cstr(mem.read32(list + 8)));
        assertEquals("second", cstr(mem.read32(list + 24)));
        assertEquals(0, mem.read32(list + 12));
        assertArrayEquals(m1, read(s1, m1.length));
        assertArrayEquals(m2, read(s2, m2.length));
    }

    @Test
    void entryIsTranslatedFromVirtualToPhysical() throws Exception {
        ElfSpec s = new ElfSpec();
        s.entry = 0xC0100020;
        s.segs.add(new Seg(1, 0xC0100000, 0x100000, text(0, 0x100), 0x100, 5));
        MultibootLoader.load(mem, cpu, elf(s), null, List.of());
        assertEquals(0x100020, cpu.eip);
        assertArrayEquals(slice(elf(s), 0x1000, 0x100), read(0x100000, 0x100));
    }

    @Test
    void physicalEntryIsKeptWhenItIsInsideASegment() throws Exception {
        ElfSpec s = new ElfSpec();
        s.entry = 0x100040;
        s.segs.add(new Seg(1, 0xC0100000, 0x100000, text(0, 0x100), 0x100, 5));
        MultibootLoader.load(mem, cpu, elf(s), null, List.of());
        assertEquals(0x100040, cpu.eip);
    }

    @Test
    void severalSegmentsAndNonLoadHeaders() throws Exception {
        ElfSpec s = new ElfSpec();
        s.entry = 0x100000;
        s.segs.add(Seg.load(0x100000, text(0, 0x800), 0x800));
        byte[] data = new byte[0x80];
        java.util.Arrays.fill(data, (byte) 0x5A);
        s.segs.add(new Seg(1, 0x200000, 0x200000, data, 0x4000, 6));
        s.segs.add(new Seg(4, 0, 0, new byte[16], 16, 4)); // PT_NOTE: ignored
        s.segs.add(Seg.load(0x300000, new byte[0], 0)); // empty PT_LOAD: ignored
        byte[] img = elf(s);
        MultibootLoader.load(mem, cpu, img, null, List.of(new MultibootLoader.Module("m", new byte[10], "")));
        assertArrayEquals(data, read(0x200000, 0x80));
        // module follows the highest segment end (0x204000)
        long list = info(24) & 0xFFFFFFFFL;
        assertEquals(0x204000, mem.read32(list));
        assertEquals("m", cstr(mem.read32(list + 8)));
    }

    @Test
    void pureBssSegmentMayPointPastTheEndOfTheFile() throws Exception {
        fill(0x300000, 0x100, 0xCC);
        byte[] img = elfWith(s -> s.segs.add(Seg.load(0x300000, new byte[0], 0x100)));
        // move the BSS segment's p_offset far beyond the end of the file
        ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN).putInt(52 + 32 + 4, 0x7FFF0000);
        MultibootLoader.load(mem, cpu, img, null, List.of());
        for (int i = 0; i < 0x100; i++) {
            assertEquals(0, mem.read8(0x300000 + i));
        }
    }

    @Test
    void informationBlockMovesWhenTheKernelUsesLowMemory() throws Exception {
        ElfSpec s = new ElfSpec();
        s.entry = 0x8000;
        s.segs.add(Seg.load(0x8000, text(0, 0x100), 0x4000)); // covers 0x8000-0xBFFF
        MultibootLoader.load(mem, cpu, elf(s), "x", List.of());
        long mbi = cpu.r[Cpu.EBX] & 0xFFFFFFFFL;
        assertTrue(mbi + 120 <= 0x8000 || mbi >= 0xC000, "info at " + Long.toHexString(mbi));
        assertTrue(mbi >= 0x1000);
        assertEquals("x", cstr(info(16)));
        assertEquals("jvisor", cstr(info(64)));
    }

    @Test
    void modulesOfALowKernelGoAboveOneMiBWhenTheyDoNotFitBelow() throws Exception {
        ElfSpec s = new ElfSpec();
        s.entry = 0x10000;
        s.segs.add(Seg.load(0x10000, text(0, 0x100), 0x100));
        byte[] big = new byte[0x90000];
        MultibootLoader.load(mem, cpu, elf(s), null, List.of(
                new MultibootLoader.Module("small", new byte[100], null),
                new MultibootLoader.Module("big", big, null)));
        long list = info(24) & 0xFFFFFFFFL;
        assertEquals(0x11000, mem.read32(list));
        assertEquals(0x100000, mem.read32(list + 16));
    }

    @Test
    void smallRamHasNoHighAvailableEntryBeyondRam() throws Exception {
        try (PhysicalMemory small = new PhysicalMemory(2L * MB)) {
            Cpu c = new Cpu(small, new IoBus());
            MultibootLoader.load(small, c, simpleElf(), null, List.of());
            long mbi = c.r[Cpu.EBX] & 0xFFFFFFFFL;
            assertEquals(1024, small.read32(mbi + 8));
            long mmap = small.read32(mbi + 48) & 0xFFFFFFFFL;
            assertEquals(4 * 24, small.read32(mbi + 44));
            assertEquals(1L * MB, small.read64(mmap + 3 * 24 + 12));
        }
    }

    // =====================================================================================
    // a.out kludge

    @Test
    void aoutKludgeLoadsAtLoadAddrWithBss() throws Exception {
        fill(0x100000, 0x3000, 0xCC);
        // header at file offset 0x20, load 0x100000..0x100400 from the file, BSS to 0x102000
        byte[] img = aout(0x20, 0x100000, 0x100400, 0x102000, 0x100040, 0x600);
        MultibootLoader.load(mem, cpu, img, null, List.of());
        assertArrayEquals(slice(img, 0, 0x400), read(0x100000, 0x400));
        for (int i = 0x400; i < 0x2000; i++) {
            assertEquals(0, mem.read8(0x100000 + i), "bss byte " + i);
        }
        assertEquals(0xCC, mem.read8(0x102000));
        assertEquals(0x100040, cpu.eip);
        assertEquals(0x2BADB002, cpu.r[Cpu.EAX]);
        long list = info(24) & 0xFFFFFFFFL;
        assertEquals(0, info(20));
        assertTrue(list > 0);
    }

    @Test
    void aoutKludgeWithZeroEndsLoadsTheWholeFile() throws Exception {
        byte[] img = aout(0x40, 0x200000, 0, 0, 0x200050, 0x1234);
        MultibootLoader.load(mem, cpu, img, null, List.of(new MultibootLoader.Module("m", new byte[1], null)));
        assertArrayEquals(img, read(0x200000, img.length));
        long list = info(24) & 0xFFFFFFFFL;
        assertEquals(0x202000, mem.read32(list));
    }

    @Test
    void aoutKludgeWinsOverElf() throws Exception {
        // an ELF file whose header asks for the kludge: its address fields are what count
        ElfSpec s = new ElfSpec();
        s.entry = 0x300000;
        int flags = 0x10000;
        byte[] t = new Bytes().u32(MAGIC).u32(flags).u32(-(MAGIC + flags))
                .u32(0x400000 + 0x1000).u32(0x400000).u32(0x400000 + 0x1100).u32(0).u32(0x400000 + 0x1000)
                .padTo(0x100).bytes();
        s.segs.add(Seg.load(0x300000, t, 0x100));
        byte[] img = elf(s);
        MultibootLoader.load(mem, cpu, img, null, List.of());
        assertEquals(0x401000, cpu.eip);
        assertArrayEquals(slice(img, 0, 0x1100), read(0x400000, 0x1100));
    }

    // =====================================================================================
    // Rejections: each leaves memory and the CPU untouched

    void assertRejected(byte[] img, List<MultibootLoader.Module> mods, String messagePart) {
        int eip = cpu.eip;
        BootException e = assertThrows(BootException.class, () -> MultibootLoader.load(mem, cpu, img, "cmd", mods));
        assertTrue(e.getMessage().contains(messagePart), "message was: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one-line message");
        assertEquals(eip, cpu.eip);
        assertEquals(0, cpu.cr0 & Cpu.CR0_PE);
        for (long pa : new long[] {0x9000, 0x10000, 0x100000, 0x100100, 0x101000, 0x102000, 0x200000, 0x400000}) {
            assertEquals(0, mem.read32(pa), "memory at 0x" + Long.toHexString(pa) + " written");
        }
    }

    void assertRejected(byte[] img, String messagePart) {
        assertRejected(img, List.of(), messagePart);
    }

    @Test
    void rejectsEmptyImage() {
        assertRejected(new byte[0], "empty");
    }

    @Test
    void rejectsImageWithoutHeader() {
        assertRejected(new byte[10000], "no multiboot header");
    }

    @Test
    void rejectsHeaderBeyondFirst8KiB() {
        byte[] img = new byte[12000];
        System.arraycopy(header(0), 0, img, 8192, 12);
        assertRejected(img, "no multiboot header");
    }

    @Test
    void rejectsUnalignedHeader() {
        byte[] img = new byte[64];
        System.arraycopy(header(0), 0, img, 2, 12);
        assertRejected(img, "no multiboot header");
    }

    @Test
    void rejectsBadChecksum() {
        byte[] img = simpleElf();
        img[0x1000 + 8] ^= 1;
        assertRejected(img, "checksum");
    }

    @Test
    void rejectsUnsupportedRequiredFlags() {
        byte[] img = elfWith(s -> s.segs.set(0, Seg.load(0x100000, text(0x8, 0x300), 0x2000)));
        assertRejected(img, "does not support");
    }

    @Test
    void rejectsNonElfWithoutKludge() {
        Bytes b = new Bytes().raw(header(0)).padTo(256);
        assertRejected(b.bytes(), "not an ELF file");
    }

    @Test
    void rejectsElf64() {
        assertRejected(elfWith(s -> s.elfClass = 2), "not 32-bit");
    }

    @Test
    void rejectsBigEndianElf() {
        assertRejected(elfWith(s -> s.data = 2), "little-endian");
    }

    @Test
    void rejectsNonI386Elf() {
        assertRejected(elfWith(s -> s.machine = 62), "not for i386");
    }

    @Test
    void rejectsNonExecutableElf() {
        assertRejected(elfWith(s -> s.type = 3), "not an executable");
    }

    @Test
    void rejectsTruncatedElfHeader() {
        byte[] img = new Bytes().u8(0x7F).u8('E').u8('L').u8('F').u8(1).u8(1).padTo(16).raw(header(0)).bytes();
        assertRejected(img, "truncated");
    }

    @Test
    void rejectsTruncatedProgramHeaders() {
        byte[] img = simpleElf();
        ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN).putShort(44, (short) 300);
        assertRejected(img, "truncated");
    }

    @Test
    void rejectsTruncatedSegment() {
        byte[] full = simpleElf();
        byte[] img = slice(full, 0, 0x1000 + 0x100);
        assertRejected(img, "truncated");
    }

    @Test
    void rejectsFileSizeAboveMemorySize() {
        assertRejected(elfWith(s -> s.segs.set(0, Seg.load(0x100000, text(3, 0x300), 0x200))), "exceeds memory size");
    }

    @Test
    void rejectsElfWithoutLoadableSegments() {
        assertRejected(elfWith(s -> s.segs.set(0, new Seg(4, 0x100000, 0x100000, text(3, 0x300), 0x300, 5))),
                "no loadable segments");
    }

    @Test
    void rejectsSegmentOutsideRam() {
        assertRejected(elfWith(s -> s.segs.add(Seg.load(0x3FFF000, new byte[16], 0x2000))), "outside RAM");
    }

    @Test
    void rejectsSegmentPast4GiB() {
        assertRejected(elfWith(s -> s.segs.add(Seg.load(0xFFFFF000, new byte[16], 0x2000))), "4 GiB");
    }

    @Test
    void rejectsSegmentInTheBiosHole() {
        assertRejected(elfWith(s -> s.segs.add(Seg.load(0xB8000, new byte[16], 0x100))), "reserved area");
    }

    @Test
    void rejectsOverlappingSegments() {
        assertRejected(elfWith(s -> s.segs.add(Seg.load(0x101000, new byte[16], 0x100))), "overlap");
    }

    @Test
    void rejectsEntryOutsideSegments() {
        assertRejected(elfWith(s -> s.entry = 0x500000), "entry point");
    }

    @Test
    void rejectsSegmentOverDeviceMemory() {
        mem.addRom(0x300000, new byte[0x1000]);
        assertRejected(elfWith(s -> s.segs.add(Seg.load(0x300000, new byte[16], 0x100))), "device memory");
    }

    @Test
    void rejectsAoutLoadAddrAboveHeaderAddr() {
        byte[] img = aout(0x20, 0x100000, 0x100400, 0, 0x100040, 0x600);
        ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN).putInt(0x20 + 16, 0x100100);
        assertRejected(img, "above header_addr");
    }

    @Test
    void rejectsAoutLoadAddrBeforeFileStart() {
        // header at offset 0x20 but header_addr - load_addr = 0x100: would begin before the file
        byte[] img = aout(0x20, 0x100000, 0x100400, 0, 0x100040, 0x600);
        ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN).putInt(0x20 + 12, 0x100100);
        assertRejected(img, "before the beginning");
    }

    @Test
    void rejectsTruncatedAout() {
        assertRejected(aout(0x20, 0x100000, 0x101000, 0, 0x100040, 0x600), "truncated");
    }

    @Test
    void rejectsAoutBssBelowLoadEnd() {
        assertRejected(aout(0x20, 0x100000, 0x100400, 0x100200, 0x100040, 0x600), "bss_end_addr");
    }

    @Test
    void rejectsAoutLoadEndBelowLoadAddr() {
        assertRejected(aout(0x20, 0x100000, 0x0FF000, 0, 0x100040, 0x600), "load_end_addr");
    }

    @Test
    void rejectsAoutEntryOutsideImage() {
        assertRejected(aout(0x20, 0x100000, 0x100400, 0x102000, 0x101000, 0x600), "entry_addr");
    }

    @Test
    void rejectsAoutHeaderCutOff() {
        byte[] img = new Bytes().padTo(16).u32(MAGIC).u32(0x10000).u32(-(MAGIC + 0x10000)).u32(0x100000).bytes();
        assertRejected(img, "cut off");
    }

    @Test
    void rejectsAoutOutsideRam() {
        assertRejected(aout(0x20, 0x3FFF000, 0x3FFF400, 0x4001000, 0x3FFF040, 0x600), "outside RAM");
    }

    @Test
    void rejectsModulesThatDoNotFitAndLoadsNothing() {
        byte[] huge = new byte[63 * MB];
        assertRejected(simpleElf(), List.of(new MultibootLoader.Module("huge", huge, null)), "do not fit");
    }

    @Test
    void rejectsModuleWithoutData() {
        assertRejected(simpleElf(), List.of(new MultibootLoader.Module("nothing", null, null)), "no data");
    }

    @Test
    void rejectsCmdlineWithNul() {
        int eip = cpu.eip;
        BootException e = assertThrows(BootException.class,
                () -> MultibootLoader.load(mem, cpu, simpleElf(), "a\0b", List.of()));
        assertTrue(e.getMessage().contains("NUL"));
        assertEquals(eip, cpu.eip);
        assertEquals(0, mem.read32(0x100000));
    }
}
