package io.jvisor.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayDeque;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Decides which blocks are hot, translates them ({@link BlockTranslator}) and defines each
 * as an unloadable hidden class. Translation runs on a background thread (which exists only
 * while there is work) while the vCPU keeps interpreting; a finished translation is
 * published to its block with one volatile write. At most {@link #maxLive} translations are
 * kept: past that the oldest is dropped (its block interprets again and may become hot again).
 */
final class Translator {
    /** {@code -Djvisor.jit.dump=DIR} writes every generated class file there (for {@code javap -c}). */
    private static final String DUMP_DIR = System.getProperty("jvisor.jit.dump");
    private final EngineOptions options;
    private final JitStats stats;
    private final BlockTranslator translator = new BlockTranslator();
    private final MethodHandles.Lookup lookup = MethodHandles.lookup();
    private final ArrayDeque<Block> live = new ArrayDeque<>();
    private final int maxLive;
    private ThreadPoolExecutor worker;

    Translator(EngineOptions options, JitStats stats) {
        this.options = options;
        this.stats = stats;
        this.maxLive = options.maxTranslations();
    }

    int threshold() {
        return options.threshold();
    }

    /**
     * Called on a vCPU thread when {@code region[0]} became hot; the other blocks may join its
     * translation. The VM's vCPUs share one translator: a block is requested once.
     */
    synchronized void request(Block[] region, int flatSegs) {
        Block b = region[0];
        if (b.translationRequested) {
            return;
        }
        b.translationRequested = true;
        if (options.synchronous()) {
            translate(region, flatSegs);
            return;
        }
        if (worker == null) {
            worker = new ThreadPoolExecutor(0, 1, 2, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "jvisor-translator");
                t.setDaemon(true);
                t.setPriority(Thread.NORM_PRIORITY - 1);
                return t;
            });
        }
        stats.queued.increment();
        worker.execute(() -> translate(region, flatSegs));
    }

    private void translate(Block[] region, int flatSegs) {
        Block b = region[0];
        if (!b.isValid()) {
            return;   // its page was written while it waited
        }
        long t0 = System.nanoTime();
        Translation t;
        try {
            BlockTranslator.Result res = translator.translate(region, flatSegs);
            MethodHandles.Lookup hidden = lookup.defineHiddenClass(res.bytes(), true);
            if (DUMP_DIR != null) {   // named by guest physical address and by the hidden class (as profilers show it)
                String name = hidden.lookupClass().getName();
                java.nio.file.Files.write(java.nio.file.Path.of(DUMP_DIR, String.format("block-%x-%s.class",
                        b.key >>> 1, name.substring(name.lastIndexOf('/') + 1))), res.bytes());
            }
            t = (Translation) hidden.findConstructor(hidden.lookupClass(), MethodType.methodType(void.class)).invoke();
            t.flatNeeded = res.flatNeeded();
            t.faultDelta = res.faultDelta();
            t.faultEip = res.faultEip();
            t.faultFlags = res.faultFlags();
            t.insns = res.insns();
            t.lowOff = res.lowOff();
            t.highEnd = res.highEnd();
            t.blocks = res.blocks();
            t.bytecodeBytes = res.bytes().length;
        } catch (Throwable e) {
            // a translator defect must not stop the VM: the block keeps running in the interpreter
            stats.failures.increment();
            stats.lastFailure = e.toString();
            return;
        }
        stats.translated.increment();
        stats.bytecodeBytes.add(t.bytecodeBytes);
        stats.chainedBlocks.add(t.blocks - 1);
        stats.nanos.add(System.nanoTime() - t0);
        synchronized (live) {
            if (!b.isValid()) {
                return;
            }
            b.translation = t;
            stats.live.increment();
            live.add(b);
            while (live.size() > maxLive) {
                Block old = live.poll();
                if (old.translation != null) {
                    old.translation = null;
                    old.translationRequested = false;
                    old.entries = 0;
                    stats.live.decrement();
                    stats.evicted.increment();
                }
            }
        }
    }

    /** Its page was written: the block's translation goes with it. */
    void dropped(Block b) {
        synchronized (live) {
            if (b.translation != null) {
                b.translation = null;
                stats.live.decrement();
                stats.invalidated.increment();
            }
        }
    }
}
