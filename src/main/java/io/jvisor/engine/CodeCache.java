package io.jvisor.engine;

import io.jvisor.memory.PhysicalMemory;
import io.jvisor.memory.SoftTlb;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One VM's decoded and translated code (DESIGN.md section 3), shared by all its vCPUs.
 * Blocks are keyed by guest physical address and code size, so a block survives CR3
 * switches and is shared by processes mapping the same page and by every vCPU. Pages that
 * hold cached code are marked in {@link PhysicalMemory}; a write to such a page, by any
 * vCPU or a loader, drops its blocks and their translations (self-modifying code), and
 * every vCPU sees the block's {@link Block#valid} turn false.
 *
 * <p>Thread safety: the map, the page index and the region search hold this object's
 * monitor; the direct-mapped front array is read and written without it (a reference is
 * read whole, and a hit is checked by key and validity). Each vCPU finds blocks through its
 * own {@link BlockLookup}.
 */
public final class CodeCache {
    /** At most this many blocks are kept; past it the whole cache is dropped (a guest cannot grow host memory without bound). */
    static final int MAX_BLOCKS = 1 << 18;
    /** The direct-mapped front of the map: large enough for a kernel's and a workload's hot blocks together. */
    private static final int FAST_BITS = 16;

    private final PhysicalMemory mem;
    private final EngineOptions options;
    private final JitStats jitStats = new JitStats();
    /** The translator whose translations hang on these blocks, or null (interpreter only). */
    private final Translator translator;
    private final BlockMap blocks = new BlockMap();
    private final Map<Integer, List<Block>> byPage = new HashMap<>();
    private final Block[] fast = new Block[1 << FAST_BITS];
    /** The soft TLBs of the vCPUs: none may keep a write entry for a page that holds code. */
    private final List<SoftTlb> tlbs = new CopyOnWriteArrayList<>();
    /** Pages invalidated so far (also a generation: a block decoded across one is not kept). */
    private final AtomicLong invalidations = new AtomicLong();

    public CodeCache(PhysicalMemory mem, EngineOptions options) {
        this.mem = mem;
        this.options = options;
        this.translator = options.jit() ? new Translator(options, jitStats) : null;
        mem.setCodeWriteListener(this::invalidatePage);
    }

    public EngineOptions options() {
        return options;
    }

    /** Translator counters, summed over the vCPUs (all zero for the interpreter). */
    public JitStats jitStats() {
        return jitStats;
    }

    /** Code pages dropped because they were written. */
    public long invalidations() {
        return invalidations.get();
    }

    Translator translator() {
        return translator;
    }

    /** A vCPU starts using this cache: its soft TLB must not write to code pages. */
    void attach(SoftTlb tlb) {
        tlbs.add(tlb);
    }

    /** The cached block with this key, or null. */
    Block find(long key) {
        int slot = (int) (key ^ (key >>> FAST_BITS)) & (fast.length - 1);
        Block b = fast[slot];
        if (b == null || b.key != key || !b.isValid()) {
            synchronized (this) {
                b = blocks.get(key);
            }
            if (b == null) {
                return null;
            }
            fast[slot] = b;
        }
        return b;
    }

    /**
     * Called before a block of page {@code phys} is decoded: marks the page as code and
     * takes write entries for it out of every vCPU's soft TLB. Returns the generation to hand
     * to {@link #install}.
     */
    long beginDecode(long phys) {
        if (mem.markCode(phys)) {
            for (SoftTlb tlb : tlbs) {
                tlb.dropWritesTo(phys & ~0xfffL);
            }
        }
        return invalidations.get();
    }

    /**
     * Keeps a decoded block and returns the block to run: {@code b}, or the block another vCPU
     * installed under the same key meanwhile. A block decoded while some code page was
     * written is run once and not kept (its bytes may predate the write).
     */
    synchronized Block install(Block b, long phys, long generation) {
        if (invalidations.get() != generation) {
            return new Block(-1, b.insns, b.byteLength);
        }
        Block old = blocks.get(b.key);
        if (old != null && old.isValid()) {
            return old;
        }
        if (blocks.size() >= MAX_BLOCKS) {
            flush();
        }
        blocks.put(b.key, b);
        byPage.computeIfAbsent((int) (phys >>> 12), k -> new ArrayList<>()).add(b);
        mem.markCode(phys);   // a flush may have run since beginDecode
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
    synchronized Block[] region(Block b) {
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
                boolean loop = i.op == Op.LOOP || i.op == Op.JCXZ;
                // Jcc, LOOPcc, JCXZ and the relative JMP and CALL: targets known at decoding
                if (i.o32 && i.src == Operand.REL && (i.op == Op.JCC || last)) {
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
        if (y == null || !y.isValid()) {
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
    synchronized void invalidatePage(int page) {
        invalidations.incrementAndGet();
        List<Block> list = byPage.remove(page);
        if (list == null) {
            return;
        }
        for (Block b : list) {
            b.invalidate();
            if (translator != null) {
                translator.dropped(b);
            }
            blocks.remove(b.key, b);
        }
    }

    /** Drops every block (the pages stay marked until their next write, which is harmless). */
    public synchronized void flush() {
        for (List<Block> list : byPage.values()) {
            for (Block b : list) {
                b.invalidate();
                if (translator != null) {
                    translator.dropped(b);
                }
            }
        }
        byPage.clear();
        blocks.clear();
        java.util.Arrays.fill(fast, null);
    }

    public synchronized int blockCount() {
        return blocks.size();
    }
}
