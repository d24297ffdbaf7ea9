package io.jvisor.conformance;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Documented differences between the reference processor of a vector set and the i686
 * jvisor emulates. Each non-comment line is one of:
 * <pre>
 *   skip OPCODE[.REG] HASH|*   reason...
 *   mask OPCODE[.REG] REGISTER HEXMASK   reason...
 *   rule NAME   reason...
 * </pre>
 * A {@code rule} turns on one of the named checks that recognise a documented difference
 * from the test itself and what jvisor did (see {@link Conformance286}).
 * A {@code skip} drops tests (one by its hash, or every test of the opcode); a {@code mask}
 * ANDs a register's compared bits with the mask (for example FLAGS bits 12-15, which a 286
 * keeps clear in real mode and a 386 can load).
 */
public final class Exclusions {
    public record Rule(String kind, String opcode, String arg, int mask, String reason) { }

    private final List<Rule> rules;

    private Exclusions(List<Rule> rules) {
        this.rules = rules;
    }

    public static Exclusions none() {
        return new Exclusions(List.of());
    }

    public static Exclusions parse(InputStream in, String what) throws IOException {
        List<Rule> rules = new ArrayList<>();
        String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        int lineNo = 0;
        for (String line : text.split("\n")) {
            lineNo++;
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            String[] f = l.split("\\s+", 5);
            switch (f[0]) {
                case "skip" -> {
                    if (f.length < 4) {
                        throw new IOException(what + ":" + lineNo + ": expected 'skip OPCODE HASH|* reason'");
                    }
                    rules.add(new Rule("skip", f[1].toUpperCase(), f[2].toLowerCase(), 0, l.split("\\s+", 4)[3]));
                }
                case "mask" -> {
                    if (f.length < 5) {
                        throw new IOException(what + ":" + lineNo + ": expected 'mask OPCODE REGISTER HEXMASK reason'");
                    }
                    int m;
                    try {
                        m = Integer.parseInt(f[3], 16);
                    } catch (NumberFormatException e) {
                        throw new IOException(what + ":" + lineNo + ": bad hex mask '" + f[3] + "'");
                    }
                    rules.add(new Rule("mask", f[1].toUpperCase(), f[2].toLowerCase(), m, f[4]));
                }
                case "rule" -> {
                    if (f.length < 3) {
                        throw new IOException(what + ":" + lineNo + ": expected 'rule NAME reason'");
                    }
                    rules.add(new Rule("rule", "*", f[1].toLowerCase(), 0, l.split("\\s+", 3)[2]));
                }
                default -> throw new IOException(what + ":" + lineNo + ": unknown rule '" + f[0] + "'");
            }
        }
        return new Exclusions(rules);
    }

    public boolean skipped(String opcode, String hash) {
        for (Rule r : rules) {
            if (r.kind.equals("skip") && r.opcode.equals(opcode) && (r.arg.equals("*") || r.arg.equals(hash))) {
                return true;
            }
        }
        return false;
    }

    public boolean ruleOn(String name) {
        for (Rule r : rules) {
            if (r.kind.equals("rule") && r.arg.equals(name)) {
                return true;
            }
        }
        return false;
    }

    /** The AND-mask for a register of an opcode (all ones when no rule applies). */
    public int mask(String opcode, String register) {
        int m = -1;
        for (Rule r : rules) {
            if (r.kind.equals("mask") && (r.opcode.equals(opcode) || r.opcode.equals("*")) && r.arg.equals(register)) {
                m &= r.mask;
            }
        }
        return m;
    }

    public List<Rule> rules() {
        return rules;
    }
}
