package io.jvisor.boot;

/**
 * Checks a BIOS ROM image before it is mapped: as QEMU's PC requires, a whole number of
 * 64 KiB blocks (here up to 1 MiB), and at the reset vector (16 bytes below the end, where
 * the CPU fetches its first instruction at F000:FFF0) something other than blank flash.
 */
public final class RomImage {
    public static final int BLOCK = 0x10000;
    public static final int MAX = 1 << 20;
    /** The reset vector's offset from the end of the image. */
    public static final int RESET_VECTOR_FROM_END = 16;

    private RomImage() {
    }

    public static void validate(byte[] rom, String name) throws BootException {
        if (rom.length == 0 || rom.length % BLOCK != 0 || rom.length > MAX) {
            throw new BootException(name + ": a BIOS image must be a multiple of 64 KiB up to 1 MiB; this one is "
                    + rom.length + " bytes");
        }
        boolean zeros = true, ones = true;
        for (int i = rom.length - RESET_VECTOR_FROM_END; i < rom.length; i++) {
            zeros &= rom[i] == 0;
            ones &= rom[i] == (byte) 0xff;
        }
        if (zeros || ones) {
            throw new BootException(name + ": no code at the reset vector (the last 16 bytes are blank), "
                    + "so this is not a BIOS image");
        }
    }
}
