package io.jvisor.cpu;
public final class X87 { public static final boolean FXSR_IMPLEMENTED = false;
 public static void execute(Cpu cpu, int opcode, int modrm, int seg, int off, boolean o32) { throw Fault.of(Fault.NM); }
 public static void fwait(Cpu cpu) { } public static void fxsave(Cpu c, int s, int o) {} public static void fxrstor(Cpu c, int s, int o) {} }
