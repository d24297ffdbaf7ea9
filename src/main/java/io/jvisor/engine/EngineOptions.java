package io.jvisor.engine;

import java.util.Locale;

/**
 * Which execution tier runs guest code and how the translator behaves.
 *
 * @param jit             true: hot blocks are translated to JVM bytecode (tier 1); false: interpreter only
 * @param threshold       entries into a block before it is translated (0: before its first run)
 * @param synchronous     translate on the vCPU thread at once (tests: exact and repeatable) instead of in the background
 * @param maxTranslations translations kept at most; the oldest are dropped past it
 */
public record EngineOptions(boolean jit, int threshold, boolean synchronous, int maxTranslations) {
    public static final int DEFAULT_THRESHOLD = 2000;
    public static final int DEFAULT_MAX_TRANSLATIONS = 32768;

    public static final EngineOptions INTERPRETER = new EngineOptions(false, 0, false, 0);
    public static final EngineOptions JIT = new EngineOptions(true,
            Integer.getInteger("jvisor.jit.threshold", DEFAULT_THRESHOLD), false, DEFAULT_MAX_TRANSLATIONS);

    public EngineOptions {
        if (threshold < 0 || maxTranslations < 0) {
            throw new IllegalArgumentException("translator threshold and cache size must not be negative");
        }
    }

    /** "interp" or "jit" (the default), as the command line spells them; null for anything else. */
    public static EngineOptions named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "interp", "interpreter" -> INTERPRETER;
            case "jit" -> JIT;
            default -> null;
        };
    }

    /**
     * The options for engines made without explicit ones (test fixtures, tools): the system
     * properties {@code jvisor.engine} (interp|jit, default jit), {@code jvisor.jit.threshold}
     * and {@code jvisor.jit.sync}. This is the tier seam the test suite is run through twice.
     */
    public static EngineOptions fromSystemProperties() {
        EngineOptions base = named(System.getProperty("jvisor.engine", "jit"));
        if (base == null) {
            throw new IllegalArgumentException("jvisor.engine must be interp or jit");
        }
        if (!base.jit()) {
            return base;
        }
        boolean sync = Boolean.parseBoolean(System.getProperty("jvisor.jit.sync", "false"));
        return new EngineOptions(true, JIT.threshold(), sync, DEFAULT_MAX_TRANSLATIONS);
    }

    public String name() {
        return jit ? "jit" : "interp";
    }
}
