package io.jvisor.boot;

import java.io.Serial;

/**
 * A guest image or boot configuration that cannot be booted. The message is one line meant
 * for the user (for example "multiboot header checksum is wrong").
 */
public final class BootException extends Exception {
    @Serial
    private static final long serialVersionUID = 1L;

    public BootException(String message) {
        super(message);
    }
}
