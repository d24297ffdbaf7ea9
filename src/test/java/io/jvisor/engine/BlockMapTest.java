package io.jvisor.engine;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class BlockMapTest {
    private static Block block(long key) {
        return new Block(key, new Insn[0], 1);
    }

    /** Random puts and removes (colliding keys included) agree with java.util.HashMap throughout. */
    @Test
    void agreesWithHashMapUnderRandomPutsAndRemoves() {
        Random rnd = new Random(7);
        BlockMap map = new BlockMap();
        Map<Long, Block> ref = new HashMap<>();
        for (int step = 0; step < 200_000; step++) {
            // keys from a small range so that probe runs collide and wrap, and removes hit present keys
            long key = (long) rnd.nextInt(20_000) << 1 | rnd.nextInt(2);
            if (rnd.nextInt(3) == 0) {
                Block b = ref.get(key);
                if (b != null) {
                    map.remove(key, b);
                    ref.remove(key);
                }
            } else {
                Block b = block(key);
                map.put(key, b);
                ref.put(key, b);
            }
            if (step % 997 == 0) {
                for (Map.Entry<Long, Block> e : ref.entrySet()) {
                    assertSame(e.getValue(), map.get(e.getKey()));
                }
                assertEquals(ref.size(), map.size());
            }
        }
        for (long key = 0; key < 40_000; key++) {
            assertSame(ref.get(key), map.get(key));
        }
    }

    @Test
    void removeOfAReplacedBlockKeepsTheNewOne() {
        BlockMap map = new BlockMap();
        Block old = block(42), fresh = block(42);
        map.put(42, old);
        map.put(42, fresh);
        map.remove(42, old);
        assertSame(fresh, map.get(42));
        map.remove(42, fresh);
        assertNull(map.get(42));
        assertEquals(0, map.size());
    }
}
