package io.jvisor.engine;

import io.jvisor.cpu.Cpu;
import io.jvisor.cpu.ExitReason;
import io.jvisor.cpu.Fault;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decoded blocks keyed by guest physical address and code size (DESIGN.md section 3), so a
 * block survives CR3 switches and is shared by processes mapping the same page. Pages that
 * hold cached code are marked in {@link io.jvisor.memory.PhysicalMemory}; a write to such a
 * page drops its blocks (self-modifying code).
 */
final class CodeCache {
    static final int MAX_INSNS = 64;
    /** At most this many blocks are kept; past it the whole cache is dropped (a guest cannot grow host memory without bound). */
    static final int MAX_BLOCKS = 1 << 18;
    /** The direct-mapped front of the map: large enough for a kernel's and a workload's hot blocks together. */
    private static final int FAST_BITS = 16;

    private final Cpu cpu;
    private final Decoder decoder;
    private final BlockMap blocks = new BlockMap();
    private final Map<Integer, List<Block>> byPage = new HashMap<>();
    private final Block[] fast = new Block[1 << FAST_BITS];

    /** The translator whose translations hang on these blocks, or null (interpreter only). */
    private final Translator translator;

    CodeCache(Cpu cpu, Translator translator) {
        this.cpu = cpu;
        this.translator = translator;
        this.decoder = new Decoder(cpu);
        cpu.mem.setCodeWriteListener(this::invalidatePage);
    }

    /** The block at CS:EIP, decoded now if needed. Faults of the first instruction's fetch propagate. */
    Block lookup() {
        int eip = cpu.eip;
        int lin = cpu.segBase[Cpu.CS] + eip;
        if (Integer.compareUnsigned(eip, cpu.segLimit[Cpu.CS]) > 0) {
            throw Fault.gp0();
        }
        long phys = cpu.codePhys(lin);
        long key = (phys << 1) | (cpu.code32 ? 1 : 0);
        int slot = (int) (key ^ (key >>> FAST_BITS)) & (fast.length - 1);
        Block b = fast[slot];
        if (b == null || b.key != key) {
            b = blocks.get(key);
            if (b == null) {
                b = decodeBlock(eip, lin, phys, key);
                if (b.key < 0) {
                    return b;   // not cacheable
                }
            }
            fast[slot] = b;
        }
        if (Integer.compareUnsigned(eip + b.byteLength - 1, cpu.segLimit[Cpu.CS]) > 0) {
            return decodeBlock(eip, lin, phys, -1);   // this CS is shorter than when decoded: decode afresh
        }
        return b;
    }

    private Block decodeBlock(int eip, int lin, long phys, long key) {
        List<Insn> list = new ArrayList<>();
        int pos = eip;
        boolean cacheable = key >= 0;
        int page = lin >>> 12;
        while (true) {
            Insn i;
            int at = cpu.code32 ? pos : pos & 0xffff;
            try {
                i = decoder.decode(at);
            } catch (Fault f) {
                if (list.isEmpty()) {
                    throw f;
                }
                break;   // the fault belongs to a later instruction: raise it only if execution gets there
            }
            i.offset = pos - eip;
            list.add(i);
            int startLin = cpu.segBase[Cpu.CS] + at;
            int endLin = startLin + i.len - 1;
            pos += i.len;
            if ((endLin >>> 12) != page || (startLin >>> 12) != page) {
                cacheable = false;   // crosses a page: its second page is not tracked
                break;
            }
            // a conditional branch is a side exit: the block goes on along its fall-through path
            boolean sideExit = i.op == Op.JCC;
            if ((i.endsBlock && !sideExit) || list.size() >= MAX_INSNS || ((startLin + i.len) >>> 12) != page) {
                break;
            }
        }
        Block b = new Block(cacheable ? key : -1, list.toArray(new Insn[0]), pos - eip);
        if (cacheable) {
            if (blocks.size() >= MAX_BLOCKS) {
                flush();
            }
            blocks.put(key, b);
            int ppage = (int) (phys >>> 12);
            byPage.computeIfAbsent(ppage, k -> new ArrayList<>()).add(b);
            if (cpu.mem.markCode(phys)) {
                cpu.tlb.dropWritesTo(phys & ~0xfffL);
            }
        }
        return b;
    }

    /** At most this many blocks, and instructions, join one translated region. */
    static final int REGION_BLOCKS = Integer.getInteger("jvisor.jit.regionBlocks", 8),
            REGION_INSNS = Integer.getInteger("jvisor.jit.regionInsns", 128);

    /**
     * The region translated when {@code b} becomes hot: {@code b} first, then the loops
     * through it: the already decoded blocks of the same page (32-bit code) that its near
     * jumps, calls and fall-through reach with a target known at decode time, and that lead
     * back to {@code b} (code that never returns to the entry would only be translated twice).
     */
    Block[] region(Block b) {
        if ((b.key & 1) == 0 || REGION_BLOCKS <= 1) {
            return new Block[] {b};
        }
        long pageBase = (b.key >>> 1) & ~0xfffL;
        List<Block> list = new ArrayList<>();
        List<List<Integer>> edges = new ArrayList<>();
        list.add(b);
        int total = b.insns.length;
        for (int n = 0; n < list.size(); n++) {
            Block x = list.get(n);
            List<Integer> out = new ArrayList<>();
            edges.add(out);
            int xoff = (int) ((x.key >>> 1) - pageBase);
            for (int k = 0; k < x.insns.length; k++) {
                Insn i = x.insns[k];
                boolean last = k == x.insns.length - 1;
                boolean loop = i.op == Op.LOOP || i.op == Op.LOOPZ || i.op == Op.LOOPNZ || i.op == Op.JCXZ;
                if (i.o32 && (i.op == Op.JCC || (last && (i.op == Op.JMP_REL || i.op == Op.CALL_REL || loop)))) {
                    total = join(list, out, pageBase, xoff + i.offset + i.len + i.imm, total);
                }
                if (last && (!i.endsBlock || i.op == Op.JCC || loop)) {
                    total = join(list, out, pageBase, xoff + x.byteLength, total);
                }
            }
        }
        // keep the blocks from which the entry can be reached again
        boolean[] back = new boolean[list.size()];
        back[0] = true;
        for (boolean changed = true; changed; ) {
            changed = false;
            for (int n = 1; n < list.size(); n++) {
                if (!back[n]) {
                    for (int t : edges.get(n)) {
                        if (back[t]) {
                            back[n] = true;
                            changed = true;
                            break;
                        }
                    }
                }
            }
        }
        List<Block> region = new ArrayList<>();
        for (int n = 0; n < list.size(); n++) {
            if (back[n]) {
                region.add(list.get(n));
            }
        }
        return region.toArray(new Block[0]);
    }

    /** Adds the block at {@code pageOff} of the page, if decoded and within the limits, and the edge to it. */
    private int join(List<Block> list, List<Integer> out, long pageBase, int pageOff, int total) {
        if (pageOff < 0 || pageOff >= 4096) {
            return total;
        }
        Block y = blocks.get(((pageBase + pageOff) << 1) | 1);
        if (y == null || !y.valid) {
            return total;
        }
        int at = list.indexOf(y);
        if (at < 0) {
            if (list.size() >= REGION_BLOCKS || total + y.insns.length > REGION_INSNS) {
                return total;
            }
            at = list.size();
            list.add(y);
            total += y.insns.length;
        }
        out.add(at);
        return total;
    }

    /** A write reached a page holding decoded code: drop every block from it. */
    void invalidatePage(int page) {
        List<Block> list = byPage.remove(page);
        if (list == null) {
            return;
        }
        cpu.exits.inc(ExitReason.SMC_INVALIDATE);
        for (Block b : list) {
            b.valid = false;
            if (translator != null) {
                translator.dropped(b);
            }
            blocks.remove(b.key, b);
            int slot = (int) (b.key ^ (b.key >>> FAST_BITS)) & (fast.length - 1);
            if (fast[slot] == b) {
                fast[slot] = null;
            }
        }
    }

    /** Drops every block (the pages stay marked until their next write, which is harmless). */
    void flush() {
        for (List<Block> list : byPage.values()) {
            for (Block b : list) {
                b.valid = false;
                if (translator != null) {
                    translator.dropped(b);
                }
            }
        }
        byPage.clear();
        blocks.clear();
        java.util.Arrays.fill(fast, null);
    }

    int blockCount() {
        return blocks.size();
    }
}
