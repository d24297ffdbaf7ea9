package io.jvisor.cli;

/** Bad input found by the command line's own checks: one line on standard error and status 1. */
final class BadInput extends RuntimeException {
    BadInput(String message) {
        super(message, null, false, false);
    }
}
