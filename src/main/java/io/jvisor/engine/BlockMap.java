package io.jvisor.engine;

import java.util.Arrays;

/**
 * Blocks by key (physical address and code size, {@link Block#key}): an open-addressing hash
 * table with linear probing on primitive keys, so a lookup neither boxes nor chases list nodes.
 * Removal shifts the following entries of the probe run back (no tombstones).
 */
final class BlockMap {
    private static final long EMPTY = -1;   // keys are never negative (uncacheable blocks are not stored)
    private long[] keys;
    private Block[] values;
    private int size;

    BlockMap() {
        allocate(1 << 12);
    }

    private void allocate(int capacity) {
        keys = new long[capacity];
        Arrays.fill(keys, EMPTY);
        values = new Block[capacity];
    }

    private static int hash(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 32) & mask;
    }

    int size() {
        return size;
    }

    Block get(long key) {
        int mask = keys.length - 1;
        for (int i = hash(key, mask); ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == key) {
                return values[i];
            }
            if (k == EMPTY) {
                return null;
            }
        }
    }

    void put(long key, Block b) {
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        int mask = keys.length - 1;
        int i = hash(key, mask);
        while (keys[i] != EMPTY && keys[i] != key) {
            i = (i + 1) & mask;
        }
        if (keys[i] == EMPTY) {
            size++;
        }
        keys[i] = key;
        values[i] = b;
    }

    /** Removes the entry for {@code key} if it maps to {@code b}. */
    void remove(long key, Block b) {
        int mask = keys.length - 1;
        int i = hash(key, mask);
        while (keys[i] != key) {
            if (keys[i] == EMPTY) {
                return;
            }
            i = (i + 1) & mask;
        }
        if (values[i] != b) {
            return;
        }
        size--;
        // backward-shift deletion: move later members of the run into the hole when their home allows it
        int hole = i;
        for (int j = (hole + 1) & mask; keys[j] != EMPTY; j = (j + 1) & mask) {
            int home = hash(keys[j], mask);
            boolean movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
            if (movable) {
                keys[hole] = keys[j];
                values[hole] = values[j];
                hole = j;
            }
        }
        keys[hole] = EMPTY;
        values[hole] = null;
    }

    void clear() {
        Arrays.fill(keys, EMPTY);
        Arrays.fill(values, null);
        size = 0;
    }

    private void grow() {
        long[] oldKeys = keys;
        Block[] oldValues = values;
        allocate(oldKeys.length * 2);
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) {
                put(oldKeys[i], oldValues[i]);
            }
        }
    }
}
