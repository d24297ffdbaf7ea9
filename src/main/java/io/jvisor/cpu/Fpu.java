package io.jvisor.cpu;
public final class Fpu { public void reset() { } }
