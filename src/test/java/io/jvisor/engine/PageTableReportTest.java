package io.jvisor.engine;

import io.jvisor.cpu.Cpu;
import io.jvisor.memory.IoBus;
import io.jvisor.memory.PhysicalMemory;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The monitor's view of the guest's page tables (info mem, info tlb). */
class PageTableReportTest {
    @Test
    void twoLevelTablesWithA4MiBPage() {
        try (PhysicalMemory mem = new PhysicalMemory(16L << 20)) {
            Cpu c = new Cpu(mem, new IoBus());
            int pd = 0x10000, pt = 0x11000;
            mem.write32(pd, pt | 0x7);                           // 0x00000000: page table, user, writable
            mem.write32(pt + 4 * 1, 0x200000 | 0x7);             // 0x00001000 -> 0x200000 urw
            mem.write32(pt + 4 * 2, 0x201000 | 0x5 | 0x20);      // 0x00002000 -> 0x201000 ur-, accessed
            mem.write32(pd + 4 * 0x300, 0x400000 | 0x83 | 0x100); // 0xc0000000: 4 MiB page, supervisor rw, global
            c.writeCr(4, Cpu.CR4_PSE);
            c.writeCr(3, pd);
            c.writeCr(0, c.cr0 | Cpu.CR0_PE | Cpu.CR0_PG);
            List<PageTableReport.Page> pages = PageTableReport.pages(c);
            assertEquals(3, pages.size());
            assertEquals(new PageTableReport.Page(0x1000, 0x200000, 4096, true, true, false, false, false), pages.get(0));
            assertEquals(new PageTableReport.Page(0xc0000000L, 0x400000, 1 << 22, false, true, false, false, true),
                    pages.get(2));
            assertEquals("""
                    00001000-00002000 00001000 urw
                    00002000-00003000 00001000 ur-
                    c0000000-c0400000 00400000 -rw
                    """, PageTableReport.mem(c));
            assertEquals("""
                    00001000: 000200000 ---UW
                    00002000: 000201000 --AU-
                    c0000000: 000400000 G---W
                    """, PageTableReport.tlb(c));
        }
    }

    @Test
    void paeTablesWithA2MiBPage() {
        try (PhysicalMemory mem = new PhysicalMemory(16L << 20)) {
            Cpu c = new Cpu(mem, new IoBus());
            int pdpt = 0x10000, pd = 0x11000, pt = 0x12000;
            mem.write64(pdpt + 8 * 3, pd | 0x1);                 // 0xc0000000-0xffffffff
            mem.write64(pd, 0x600000 | 0x83);                    // 0xc0000000: 2 MiB page, supervisor rw
            mem.write64(pd + 8, pt | 0x7);                       // 0xc0200000: page table
            mem.write64(pt + 8 * 5, 0x123000L | 0x5);            // 0xc0205000 -> 0x123000 ur-
            c.writeCr(4, Cpu.CR4_PAE);
            c.writeCr(3, pdpt);
            c.writeCr(0, c.cr0 | Cpu.CR0_PE | Cpu.CR0_PG);
            assertEquals("""
                    c0000000-c0200000 00200000 -rw
                    c0205000-c0206000 00001000 ur-
                    """, PageTableReport.mem(c));
        }
    }

    @Test
    void pagingOff() {
        try (PhysicalMemory mem = new PhysicalMemory(4L << 20)) {
            Cpu c = new Cpu(mem, new IoBus());
            assertEquals("paging is disabled\n", PageTableReport.mem(c));
            assertEquals(List.of(), PageTableReport.pages(c));
        }
    }
}
