package io.jvisor.engine;

import io.jvisor.cpu.Cpu;

/** Human-readable CPU state for VM stop reports. */
public final class CpuReport {
    private CpuReport() { }

    /** "CS:EIP (linear L) bytes ..." with up to 16 instruction bytes read without side effects. */
    public static String location(Cpu c) {
        StringBuilder sb = new StringBuilder(String.format("%04x:%08x", c.segSel[Cpu.CS], c.eip));
        int lin = c.segBase[Cpu.CS] + c.eip;
        sb.append(String.format(" (linear %08x) bytes", lin));
        for (int k = 0; k < 16; k++) {
            try {
                long pa = c.probe(lin + k);
                if (pa < 0) {
                    break;
                }
                sb.append(String.format(" %02x", c.mem.read8(pa)));
            } catch (RuntimeException e) {
                break;
            }
        }
        return sb.toString();
    }

    public static String registers(Cpu c) {
        return String.format(
                "EAX=%08x EBX=%08x ECX=%08x EDX=%08x ESI=%08x EDI=%08x EBP=%08x ESP=%08x%n"
                        + "EIP=%08x EFLAGS=%08x CPL=%d CR0=%08x CR2=%08x CR3=%08x CR4=%08x%n"
                        + "CS=%04x SS=%04x DS=%04x ES=%04x FS=%04x GS=%04x TR=%04x LDTR=%04x",
                c.r[Cpu.EAX], c.r[Cpu.EBX], c.r[Cpu.ECX], c.r[Cpu.EDX], c.r[Cpu.ESI], c.r[Cpu.EDI], c.r[Cpu.EBP],
                c.r[Cpu.ESP], c.eip, c.getEflags(), c.cpl, c.cr0, c.cr2, c.cr3, c.cr4, c.segSel[Cpu.CS],
                c.segSel[Cpu.SS], c.segSel[Cpu.DS], c.segSel[Cpu.ES], c.segSel[Cpu.FS], c.segSel[Cpu.GS],
                c.segSel[Cpu.TR], c.segSel[Cpu.LDTR]);
    }
}
