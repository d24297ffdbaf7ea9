package io.jvisor.engine;

import io.jvisor.cpu.Cpu;
import io.jvisor.cpu.Fault;

import java.util.ArrayList;
import java.util.List;

/** One vCPU's way into the VM's {@link CodeCache}: the block at CS:EIP, decoded on a miss. */
final class BlockLookup {
    /** Instructions per decoded block at most (-Djvisor.jit.blockInsns). */
    static final int MAX_INSNS = Integer.getInteger("jvisor.jit.blockInsns", 64);

    private final Cpu cpu;
    private final Decoder decoder;
    private final CodeCache cache;

    BlockLookup(Cpu cpu, CodeCache cache) {
        this.cpu = cpu;
        this.cache = cache;
        this.decoder = new Decoder(cpu);
        cache.attach(cpu.tlb);
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
        Block b = cache.find(key);
        if (b == null) {
            b = decodeBlock(eip, lin, phys, key);
            if (b.key < 0) {
                return b;   // not cacheable
            }
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
        long generation = cacheable ? cache.beginDecode(phys) : 0;
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
        return cacheable ? cache.install(b, phys, generation) : b;
    }
}
